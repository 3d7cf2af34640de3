"""S3's own errors: a bare ``<Error>`` with S3's codes, and the extra members it adds."""

from awsapi.errors import AWSError


class S3Error(AWSError):
    sender_fault = True

    def __init__(self, code, message, status, bucket=None):
        super().__init__(message, code=code, status=status)
        self.details = {"BucketName": bucket} if bucket else {}


def invalid_bucket_name(name):
    return S3Error("InvalidBucketName", "The specified bucket is not valid.", 400, name)


def no_such_bucket(name):
    return S3Error("NoSuchBucket", "The specified bucket does not exist", 404, name)


def access_denied():
    return S3Error("AccessDenied", "Access Denied", 403)


def no_such_key(key):
    error = S3Error("NoSuchKey", "The specified key does not exist.", 404)
    error.details = {"Key": key}
    return error


def key_too_long(key):
    error = S3Error("KeyTooLongError", "Your key is too long", 400)
    error.details = {"Size": str(len((key or "").encode("utf-8"))), "MaxSizeAllowed": "1024"}
    return error


def invalid_argument(message, name=None, value=None):
    error = S3Error("InvalidArgument", message, 400)
    if name is not None:
        error.details = {"ArgumentName": name, "ArgumentValue": value if value is not None else ""}
    return error
