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
