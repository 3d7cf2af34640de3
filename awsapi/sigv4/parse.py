"""Reading a request's SigV4 credential, from its ``Authorization`` header or its presigned
query, and refusing a malformed one as AWS does. Needs no secret."""

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from .canonical import ALGORITHM, TERMINATOR, _lower_headers, _query_params
from .errors import (
    _CORAL_QUERY_PARAMETERS,
    _S3_CREDENTIAL_FORMAT,
    _S3_HEADER_MALFORMED,
    _S3_NO_DATE,
    _S3_ONE_MECHANISM,
    _S3_QUERY_CREDENTIAL,
    _S3_QUERY_PARAMETERS,
    _S3_QUERY_REQUIRED,
    SigV4Error,
    _coral,
    _dialect,
    _s3,
)

MAX_PRESIGN_EXPIRES = 604800  # seven days, in seconds
_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")
_BASIC = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Credential:
    """What a SigV4 request claims: who signed, for which scope, over which headers."""

    access_key_id: str
    date: str  # YYYYMMDD, from the credential scope
    region: str
    service: str
    signed_headers: tuple
    signature: str
    amz_date: datetime  # the request's time, UTC
    presigned: bool
    expires: int | None  # X-Amz-Expires of a presigned request, in seconds
    security_token: str | None
    content_sha256: str | None  # the x-amz-content-sha256 header as sent

    @property
    def scope(self):
        """``YYYYMMDD/region/service/aws4_request``."""
        return f"{self.date}/{self.region}/{self.service}/{TERMINATOR}"

    @property
    def timestamp(self):
        """The request time as signed: ``YYYYMMDDTHHMMSSZ``."""
        return self.amz_date.strftime(_BASIC)


def _parse_amz_date(value):
    if not _AMZ_DATE.fullmatch(value):
        return None
    # Fixed positions, already checked as digits: cheaper than strptime on every request.
    try:
        return datetime(
            int(value[0:4]), int(value[4:6]), int(value[6:8]),
            int(value[9:11]), int(value[11:13]), int(value[13:15]), tzinfo=timezone.utc,
        )
    except ValueError:
        return None


def _parse_http_date(value):
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _bad_iso_date(dialect, value):
    return _coral(
        "incomplete",
        dialect,
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601",
    )


def _split_signed_headers(value):
    return tuple(sorted({name.strip().lower() for name in value.split(";") if name.strip()}))


def parse_request_auth(method, raw_path, raw_query, headers, *, service=None):
    """The SigV4 credential a request carries, or ``None`` when it carries none.

    ``headers`` maps lowercase names to values as sent; ``raw_path`` and ``raw_query`` are
    as sent, still percent-encoded. ``service`` picks the error dialect when the caller
    already knows it; otherwise the credential scope's service does. Raises
    :class:`SigV4Error` for a malformed credential (``IncompleteSignature``,
    ``AuthorizationHeaderMalformed``, ...). Needs no secret: look the key up by
    ``credential.access_key_id``, then call :func:`verify`."""
    del method, raw_path  # part of the request, not of its credential
    headers = _lower_headers(headers)
    params = _query_params(raw_query)
    authorization = (headers.get("authorization") or "").strip()
    presigned = "X-Amz-Algorithm" in params or "X-Amz-Credential" in params
    if presigned:
        parameters = None
        credential_text = params.get("X-Amz-Credential", "")
    else:
        parameters = _header_parameters(authorization)
        credential_text = parameters.get("Credential", "")
    if service is None:
        # The scope's service names the dialect; with no readable scope, a request carrying
        # x-amz-content-sha256 (which only S3 requires) is taken for S3's.
        parts = credential_text.split("/")
        if len(parts) > 3:
            service = parts[3]
        elif "x-amz-content-sha256" in headers:
            service = "s3"
    s3 = service == "s3"
    dialect = _dialect(service)
    if authorization and presigned:
        if s3:
            raise _s3(
                "InvalidArgument",
                _S3_ONE_MECHANISM,
                details=(("ArgumentName", "Authorization"), ("ArgumentValue", authorization)),
            )
        raise _coral(
            "invalid",
            dialect,
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
        )
    if presigned:
        return _parse_query_auth(params, headers, service, s3, dialect)
    scheme = authorization.split(None, 1)[0] if authorization else ""
    if scheme.upper() == ALGORITHM:
        return _parse_header_auth(authorization, parameters, headers, service, s3, dialect)
    if scheme.upper().startswith("AWS4-"):
        if s3:
            raise _s3(
                "InvalidArgument",
                "Unsupported Authorization Type",
                details=(("ArgumentName", "Authorization"), ("ArgumentValue", authorization)),
            )
        raise _coral(
            "incomplete",
            dialect,
            f"Unsupported AWS 'algorithm': '{scheme}' (only AWS4-HMAC-SHA256 for now). ",
        )
    return None


def _header_parameters(authorization):
    """``Name=value`` pairs after the scheme, split on commas; the last of a name wins.
    A part with no ``=`` is kept under ``None``."""
    rest = "".join(authorization.split(None, 1)[1:])
    parameters = {}
    for part in rest.split(","):
        part = part.strip()
        if not part:
            continue
        name, equals, value = part.partition("=")
        if not equals:
            parameters.setdefault(None, part)
            continue
        parameters[name.strip()] = value.strip()
    return parameters


def _parse_header_auth(authorization, parameters, headers, service, s3, dialect):
    if "x-amz-date" in headers:
        date_header, date_text = "x-amz-date", headers["x-amz-date"]
        amz_date = _parse_amz_date(date_text)
    elif "date" in headers:
        date_header, date_text = "date", headers["date"]
        amz_date = _parse_http_date(date_text)
    else:
        date_header, date_text, amz_date = None, None, None
    required = ("Credential", "Signature", "SignedHeaders")
    if s3:
        if amz_date is None:
            raise _s3("AccessDenied", _S3_NO_DATE, 403)
        if None in parameters or not all(parameters.get(name) for name in required):
            raise _s3(
                "AuthorizationHeaderMalformed",
                _S3_HEADER_MALFORMED
                + "the authorization header requires three components: Credential, SignedHeaders, and Signature.",
            )
    else:
        if None in parameters:
            raise _coral(
                "incomplete",
                dialect,
                f"'{parameters[None]}' not a valid key=value pair (missing equal-sign) in "
                f"Authorization header: '{authorization}'",
            )
        missing = [
            f"Authorization header requires '{name}' parameter."
            for name in required
            if not parameters.get(name)
        ]
        if date_header is None:
            missing.append(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
            )
        if missing:
            raise _coral("incomplete", dialect, " ".join(missing) + f" Authorization={authorization}")
        if amz_date is None:
            raise _bad_iso_date(dialect, date_text)
    credential = parameters["Credential"]
    signed_headers = _split_signed_headers(parameters["SignedHeaders"])
    _check_credential(credential, amz_date, service, s3, dialect, presigned=False)
    _check_signed_headers(signed_headers, headers, date_header, s3, dialect, presigned=False)
    return _credential(
        credential,
        signed_headers,
        parameters["Signature"],
        amz_date,
        presigned=False,
        expires=None,
        security_token=headers.get("x-amz-security-token"),
        content_sha256=headers.get("x-amz-content-sha256"),
    )


def _parse_query_auth(params, headers, service, s3, dialect):
    algorithm = params.get("X-Amz-Algorithm")
    if s3:
        if algorithm is not None and algorithm != ALGORITHM:
            raise _s3(
                "AuthorizationQueryParametersError",
                'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256"',
            )
        if any(name not in params for name in _S3_QUERY_PARAMETERS):
            raise _s3("AuthorizationQueryParametersError", _S3_QUERY_REQUIRED)
    else:
        missing = [
            f"AWS query-string parameters must include '{name}'."
            for name in _CORAL_QUERY_PARAMETERS
            if not params.get(name)
        ]
        if missing:
            raise _coral(
                "incomplete", dialect, " ".join(missing) + " Re-examine the query-string parameters."
            )
        if algorithm != ALGORITHM:
            raise SigV4Error(
                "MissingAuthenticationToken", "Request is missing Authentication Token", 403
            )
    date_text = params["X-Amz-Date"]
    amz_date = _parse_amz_date(date_text)
    if amz_date is None:
        if s3:
            raise _s3(
                "AuthorizationQueryParametersError",
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
            )
        raise _bad_iso_date(dialect, date_text)
    expires = _parse_expires(params.get("X-Amz-Expires"), s3, dialect)
    credential = params["X-Amz-Credential"]
    signed_headers = _split_signed_headers(params["X-Amz-SignedHeaders"])
    _check_credential(credential, amz_date, service, s3, dialect, presigned=True)
    _check_signed_headers(signed_headers, headers, None, s3, dialect, presigned=True)
    return _credential(
        credential,
        signed_headers,
        params["X-Amz-Signature"],
        amz_date,
        presigned=True,
        expires=expires,
        security_token=params.get("X-Amz-Security-Token"),
        content_sha256=headers.get("x-amz-content-sha256"),
    )


def _parse_expires(value, s3, dialect):
    """``X-Amz-Expires`` in seconds: S3 requires it; other services take it when given
    (and keep their own 15-minute window, as STS does)."""
    if value is None:
        return None
    code, status = ("AuthorizationQueryParametersError", 400) if s3 else dialect.incomplete
    if not re.fullmatch(r"-?[0-9]{1,18}", value):
        raise SigV4Error(code, "X-Amz-Expires should be a number", status)
    expires = int(value)
    if expires < 0:
        raise SigV4Error(code, "X-Amz-Expires must be non-negative", status)
    if expires > MAX_PRESIGN_EXPIRES:
        raise SigV4Error(
            code,
            "X-Amz-Expires must be less than a week (in seconds); that is, the given "
            f"X-Amz-Expires must be less than {MAX_PRESIGN_EXPIRES} seconds",
            status,
        )
    return expires


def _check_credential(credential, amz_date, service, s3, dialect, *, presigned):
    """The credential's five parts and its scope, in AWS's words."""
    parts = credential.split("/")
    ymd = amz_date.strftime("%Y%m%d")
    if s3:
        prefix = _S3_QUERY_CREDENTIAL if presigned else _S3_HEADER_MALFORMED
        code = "AuthorizationQueryParametersError" if presigned else "AuthorizationHeaderMalformed"
        if len(parts) != 5:
            raise _s3(code, prefix + _S3_CREDENTIAL_FORMAT)
        _, date, region, scope_service, terminator = parts
        if not region:
            raise _s3(code, prefix + "a non-empty region must be provided in the credential.")
        if scope_service != "s3":
            raise _s3(code, prefix + f'incorrect service "{scope_service}". This endpoint belongs to "s3".')
        if terminator != TERMINATOR:
            raise _s3(code, prefix + f'incorrect terminal "{terminator}". This endpoint uses "aws4_request".')
        if date != ymd:
            if presigned:
                raise _s3(
                    code,
                    f'Invalid credential date "{date}". This date is not the same as X-Amz-Date: "{ymd}".',
                )
            raise _s3(code, prefix + "Invalid credential date. Date is not the same as X-Amz-Date.")
        return
    if len(parts) != 5:
        raise _coral(
            "incomplete",
            dialect,
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            f"keyid/date/region/service/term, got '{credential}'",
        )
    _, date, region, scope_service, terminator = parts
    problems = []
    if not region:
        problems.append("Credential should be scoped to a valid region, not ''.")
    if service is not None and scope_service != service:
        problems.append(f"Credential should be scoped to correct service: '{service}'.")
    if terminator != TERMINATOR:
        problems.append(
            f"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )
    if date != ymd:
        problems.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
            f"HTTP: '{date}' != '{ymd}', from '{amz_date.strftime(_BASIC)}'."
        )
    if problems:
        raise _coral("invalid", dialect, " ".join(problems))


def _check_signed_headers(signed_headers, headers, date_header, s3, dialect, *, presigned):
    """Host must be signed, and so must the header that dates the request. S3 further
    refuses any ``x-amz-*`` header sent but not signed."""
    if s3:
        unsigned = [] if "host" in signed_headers else ["host"]
        if date_header == "date" and "date" not in signed_headers:
            unsigned.append("date")
        for name in sorted(headers):
            if not name.startswith("x-amz-") or name in signed_headers:
                continue
            if presigned and name == "x-amz-content-sha256":
                continue
            unsigned.append(name)
        if unsigned:
            raise _s3(
                "AccessDenied",
                "There were headers present in the request which were not signed",
                403,
                (("HeadersNotSigned", ", ".join(unsigned)),),
            )
        return
    if "host" not in signed_headers and ":authority" not in signed_headers:
        raise _coral(
            "invalid", dialect, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )
    if date_header is not None and date_header not in signed_headers:
        spelled = "X-Amz-Date" if date_header == "x-amz-date" else "Date"
        raise _coral("invalid", dialect, f"'{spelled}' must be a 'SignedHeader' in the AWS Authorization.")


def _credential(text, signed_headers, signature, amz_date, **rest):
    access_key_id, date, region, service, _ = text.split("/")
    return Credential(
        access_key_id=access_key_id,
        date=date,
        region=region,
        service=service,
        signed_headers=signed_headers,
        signature=signature,
        amz_date=amz_date,
        **rest,
    )
