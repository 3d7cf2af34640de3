"""AWS service errors. Operations raise these; each front door renders them: the API in
the protocol's error envelope, the console as a form error or flash with the same text."""


class AWSError(Exception):
    code = "InternalFailure"
    status = 500
    sender_fault = False

    def __init__(self, message, code=None, status=None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status


class InternalFailure(AWSError):
    code = "InternalFailure"
    status = 500


class _ClientError(AWSError):
    status = 400
    sender_fault = True


class ValidationError(_ClientError):
    code = "ValidationError"


class InvalidInput(_ClientError):
    code = "InvalidInput"


class PasswordPolicyViolation(_ClientError):
    code = "PasswordPolicyViolation"


class InvalidUserType(_ClientError):
    code = "InvalidUserType"


class AccessDenied(_ClientError):
    code = "AccessDenied"
    status = 403


class NoSuchEntity(_ClientError):
    code = "NoSuchEntity"
    status = 404


class EntityAlreadyExists(_ClientError):
    code = "EntityAlreadyExists"
    status = 409


class EntityTemporarilyUnmodifiable(_ClientError):
    code = "EntityTemporarilyUnmodifiable"
    status = 409


class LimitExceeded(_ClientError):
    code = "LimitExceeded"
    status = 409


class MalformedPolicyDocument(_ClientError):
    code = "MalformedPolicyDocument"


class DeleteConflict(_ClientError):
    code = "DeleteConflict"
    status = 409
