"""SigV4 refusals in each service's words: query services (IAM, STS), JSON services
(CloudTrail), EC2 and S3, with the members S3 adds to its ``<Error>``."""

from dataclasses import dataclass


class SigV4Error(Exception):
    """A request AWS would refuse: its error ``code``, ``message`` and HTTP ``status``.

    ``details`` holds the extra members S3 puts in its ``<Error>`` after the message
    (``RequestTime``, ``ServerTime``, ``StringToSign``, ...), as ``(name, value)`` pairs."""

    def __init__(self, code, message, status=403, details=()):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = tuple(details)

    def __repr__(self):
        return f"SigV4Error({self.code!r}, {self.message!r}, {self.status})"


@dataclass(frozen=True)
class _Dialect:
    incomplete: tuple  # (code, status) for a malformed signature
    invalid: tuple  # (code, status) for a signature that cannot be right
    mismatch_message: str
    expired: tuple  # (code, status) for a request outside the time window
    expired_message: str | None  # None: Coral's "Signature expired: ..." wording


_CORAL_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation "
    "for details."
)
_QUERY = _Dialect(
    ("IncompleteSignature", 400),
    ("SignatureDoesNotMatch", 403),
    _CORAL_MISMATCH,
    ("SignatureDoesNotMatch", 403),
    None,
)
_JSON = _Dialect(
    ("IncompleteSignatureException", 400),
    ("InvalidSignatureException", 403),
    _CORAL_MISMATCH,
    ("InvalidSignatureException", 403),
    None,
)
_EC2 = _Dialect(
    ("IncompleteSignature", 400),
    ("AuthFailure", 401),
    "AWS was not able to validate the provided access credentials",
    ("RequestExpired", 400),
    "Request has expired.",
)
_DIALECTS = {"ec2": _EC2, "cloudtrail": _JSON}

_S3_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
_S3_HEADER_MALFORMED = "The authorization header is malformed; "
_S3_QUERY_CREDENTIAL = "Error parsing the X-Amz-Credential parameter; "
_S3_CREDENTIAL_FORMAT = (
    'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
)
_S3_ONE_MECHANISM = (
    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
    "Signature query string parameter or the Authorization header should be specified"
)
_S3_NO_DATE = "AWS authentication requires a valid Date or x-amz-date header"
_S3_QUERY_PARAMETERS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)
_S3_QUERY_REQUIRED = (
    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
    "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
)
_CORAL_QUERY_PARAMETERS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "X-Amz-Date",
)


def _dialect(service):
    return _DIALECTS.get(service, _QUERY)


def _coral(kind, dialect, message):
    code, status = getattr(dialect, kind)
    return SigV4Error(code, message, status)


def _s3(code, message, status=400, details=()):
    return SigV4Error(code, message, status, details)


def _hex_bytes(text):
    return " ".join(f"{byte:02x}" for byte in text.encode("utf-8"))
