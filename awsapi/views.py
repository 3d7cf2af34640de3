"""The AWS API door: one view for every service on the console's port.

A request is authenticated (SigV4, verified against the key's secret), parsed with the
service's botocore model, dispatched to its operation exactly as a console button is,
and answered in the protocol's own envelope. Every failure is an AWS error in that
envelope with a RequestId — never a Django error page."""

import logging
import uuid
from urllib.parse import quote

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpResponse

from awsapi import credentials, protocol, sigv4
from awsapi.context import RequestContext
from awsapi.dispatch import dispatch, operation_for
from awsapi.errors import AWSError
from console import clock
from trail import record

logger = logging.getLogger(__name__)
TARGET_SERVICES = {"cloudtrail_20131101": "cloudtrail"}
SERVICE_ENDPOINTS = ("iam", "sts", "ec2", "cloudtrail", "s3")


class MissingAuthenticationToken(AWSError):
    code = "MissingAuthenticationToken"
    status = 403
    sender_fault = True


class InvalidAction(AWSError):
    code = "InvalidAction"
    status = 400
    sender_fault = True


def _headers(request):
    return {name.lower(): value for name, value in request.headers.items()}


def _raw_path(request):
    # gunicorn passes the path as sent; other servers only the decoded one, which the
    # clients' encoding (RFC 3986, "/" and "~" kept) reproduces.
    raw = request.META.get("RAW_URI")
    if raw:
        return raw.split("?", 1)[0]
    return quote(request.path, safe="/~")


def _service_hint(request, headers):
    target = headers.get("x-amz-target", "")
    if target:
        return TARGET_SERVICES.get(target.split(".", 1)[0].lower(), "cloudtrail")
    return "sts"


def _response(service, status, headers, body, request_id):
    response = HttpResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    response["x-amzn-RequestId"] = request_id
    return response


def _error(service, error, request_id, method):
    status, headers, body = protocol.serialize_error(service, error, request_id)
    return _response(service, status, headers, b"" if method == "HEAD" else body, request_id)


def api(request):
    """Serve one AWS API request."""
    request_id = str(uuid.uuid4())
    headers = _headers(request)
    raw_path, raw_query = _raw_path(request), request.META.get("QUERY_STRING", "")
    service = _service_hint(request, headers)
    operation = None
    ctx = None
    try:
        credential = sigv4.parse_request_auth(request.method, raw_path, raw_query, headers)
        if credential is None:
            raise MissingAuthenticationToken("Request is missing Authentication Token")
        service = credential.service if credential.service in SERVICE_ENDPOINTS else service
        signer = credentials.resolve(credential)
        credentials.check_service(signer, service)
        body = request.body
        ctx = RequestContext(
            principal=signer.principal,
            source_ip=request.META.get("REMOTE_ADDR", ""),
            user_agent=headers.get("user-agent", ""),
            region=credential.region,
            via_console=False,
            mfa_authenticated=bool(signer.session and signer.session.mfa_authenticated),
            session_issued=signer.session.create_date if signer.session else None,
            access_key_id=credential.access_key_id,
            secure_transport=request.is_secure(),
        )
        query = {key: request.GET.getlist(key) for key in request.GET}
        operation, params = protocol.parse_request(service, request.method, request.path, query, headers, body)
        sigv4.verify(
            credential,
            signer.secret_access_key,
            request.method,
            raw_path,
            raw_query,
            headers,
            sigv4.payload_sha256(body),
            now=clock.now(),
            s3=service == "s3",
        )
        try:
            operation_for(f"{service}:{operation}")
        except KeyError:
            raise InvalidAction(f"The action {operation} is not valid for this web service.") from None
        try:
            result = dispatch(ctx, f"{service}:{operation}", params)
        except AWSError as error:  # the dispatcher has recorded its event already
            return _error(service, error, request_id, request.method)
        credentials.record_use(signer, service, credential.region)
        status, out_headers, out_body = protocol.serialize_response(service, operation, result, request_id)
        return _response(service, status, out_headers, out_body, request_id)
    except sigv4.SigV4Error as error:
        _audit_refusal(ctx, service, operation, error)
        return _error(service, _as_aws_error(error), request_id, request.method)
    except AWSError as error:  # refused before dispatch
        _audit_refusal(ctx, service, operation, error)
        return _error(service, error, request_id, request.method)
    except RequestDataTooBig:
        error = AWSError("Request body is too large.", code="RequestEntityTooLarge", status=413)
        return _error(service, error, request_id, request.method)
    except SuspiciousOperation:
        error = AWSError("The request could not be parsed.", code="MalformedInput", status=400)
        return _error(service, error, request_id, request.method)
    except Exception:  # a defect: answered as AWS's InternalFailure, logged without the request
        logger.exception("InternalFailure for %s %s", service, operation)
        error = AWSError("We encountered an internal error. Please try again.", code="InternalFailure", status=500)
        return _error(service, error, request_id, request.method)


def _as_aws_error(error):
    converted = AWSError(error.message, code=error.code, status=error.status)
    converted.sender_fault = error.status < 500
    converted.details = dict(error.details)
    return converted


def _audit_refusal(ctx, service, operation, error):
    """A call refused before dispatch (bad signature, unsupported action) with a known
    key is still one trail event, as CloudTrail records it."""
    if ctx is None or operation is None:
        return
    try:
        spec = operation_for(f"{service}:{operation}").spec
    except KeyError:
        return
    record.api_call(ctx, spec, {}, None, error=_as_aws_error(error) if isinstance(error, sigv4.SigV4Error) else error)
