"""The AWS API door: one view for every service on the console's port.

A request is authenticated (SigV4, verified against the key's secret), parsed with the
service's botocore model, dispatched to its operation exactly as a console button is,
and answered in the protocol's own envelope. Every failure is an AWS error in that
envelope with a RequestId — never a Django error page."""

import logging
import uuid
from urllib.parse import quote

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpResponse, StreamingHttpResponse

from awsapi import credentials, protocol, sigv2, sigv4
from awsapi.context import ANONYMOUS, RequestContext
from awsapi.dispatch import dispatch, operation_for
from awsapi.errors import AWSError
from console import clock
from s3 import payload
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
    """The request's headers by lowercase name: Django's request.headers without its
    title-casing, which every API call would pay for only to lowercase again."""
    headers = {}
    for key, value in request.META.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
        elif key == "CONTENT_TYPE" or key == "CONTENT_LENGTH":
            headers[key.replace("_", "-").lower()] = value
    return headers


def _raw_path(request):
    # Some servers pass the path as sent (RAW_URI); granian and Django's own only the
    # decoded one, which the clients' encoding (RFC 3986, "/" and "~" kept) reproduces.
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
    if isinstance(body, (bytes, str)):
        response = HttpResponse(body, status=status)
    else:  # an object's bytes, streamed from its file
        response = StreamingHttpResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    response["x-amzn-RequestId"] = request_id
    # S3 serves objects (any Content-Type, uploaded by anyone a bucket lets in) from the
    # console's own origin, where AWS has a domain of their own: a sandboxed document
    # runs no script and is not same-origin with the console, so an HTML object cannot
    # act as whoever opens it.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _error(service, error, request_id, method):
    status, headers, body = protocol.serialize_error(service, error, request_id)
    # HEAD answers and 304 Not Modified carry no body.
    return _response(service, status, headers, b"" if method == "HEAD" or status == 304 else body, request_id)


def _authenticate(request, service, method, raw_path, raw_query, headers):
    """(credential, signer) of a signed request; (None, None) for an unsigned S3 request,
    which goes on as the anonymous principal."""
    credential = sigv4.parse_request_auth(method, raw_path, raw_query, headers)
    if credential is None and service == "s3":
        credential = sigv2.parse_presigned(raw_query)
        if credential is None:
            return None, None
    if credential is None:
        raise MissingAuthenticationToken("Request is missing Authentication Token")
    return credential, credentials.resolve(credential)


def _s3_body(request, headers, credential, signer):
    """The streamed body of an S3 upload (PutObject, UploadPart)."""
    declared = headers.get("x-amz-content-sha256")
    length = headers.get("content-length")
    if not length:
        raise AWSError("You must provide the Content-Length HTTP header.", code="MissingContentLength", status=411)
    decoded = headers.get("x-amz-decoded-content-length")
    chunked = declared in sigv4.STREAMING_PAYLOADS or "aws-chunked" in headers.get("content-encoding", "")
    try:
        length, decoded = int(length), (int(decoded) if decoded else None)
    except ValueError:
        raise AWSError("Invalid argument.", code="InvalidArgument", status=400) from None
    if chunked and decoded is None:
        raise AWSError("You must provide the Content-Length HTTP header.", code="MissingContentLength", status=411)
    if declared in payload.SIGNED_CHUNKS and not isinstance(credential, sigv4.Credential):
        raise AWSError("Signed chunks need a SigV4 Authorization header.", code="InvalidRequest", status=400)
    seed = sigv4.streaming_seed(credential, signer.secret_access_key) if declared in payload.SIGNED_CHUNKS else None
    return payload.Payload(
        request,
        content_length=length,
        content_sha256=declared,
        chunked=chunked,
        decoded_length=decoded,
        trailer_names=headers.get("x-amz-trailer", "").split(","),
        seed=seed,
    )


def api(request, anonymous_s3=False):
    """Serve one AWS API request (``anonymous_s3``: an unsigned request for a bucket)."""
    request_id = str(uuid.uuid4())
    headers = _headers(request)
    raw_path, raw_query = _raw_path(request), request.META.get("QUERY_STRING", "")
    service = "s3" if anonymous_s3 else _service_hint(request, headers)
    method = request.method
    operation = params = None
    ctx = None
    try:
        credential, signer = _authenticate(request, service, method, raw_path, raw_query, headers)
        if credential is not None:
            service = credential.service if credential.service in SERVICE_ENDPOINTS else service
            credentials.check_service(signer, service)
        # Most calls have no query string (a POST of a form, PutObject): Django's
        # QueryDict of nothing cost 2% of a CreateUser's CPU.
        query = {key: request.GET.getlist(key) for key in request.GET} if raw_query else {}
        # An S3 request is routed once, for both questions (a third of a PutObject's
        # routing and header copies were repeated).
        routed = protocol.route_request(service, method, request.path, query, headers) if service == "s3" else None
        streaming = routed is not None and routed.streams_body
        body = b"" if streaming else request.body
        ctx = RequestContext(
            principal=signer.principal if signer else ANONYMOUS,
            source_ip=request.META.get("REMOTE_ADDR", ""),
            user_agent=headers.get("user-agent", ""),
            region=credential.region if credential else "us-east-1",
            via_console=False,
            mfa_authenticated=bool(signer and signer.session and signer.session.mfa_authenticated),
            session_issued=signer.session.create_date if signer and signer.session else None,
            access_key_id=credential.access_key_id if credential else "",
            secure_transport=request.is_secure(),
            request_id=request_id,
        )
        operation, params = protocol.parse_request(service, method, request.path, query, headers, body, routed)
        if isinstance(credential, sigv2.PresignedV2):
            signed_headers = headers
            if method in ("GET", "HEAD") and not headers.get("content-length"):
                # A bodiless request has no Content-Type, whatever a WSGI server defaults
                # CONTENT_TYPE to (wsgiref says text/plain).
                signed_headers = {k: v for k, v in headers.items() if k != "content-type"}
            sigv2.verify(credential, signer.secret_access_key, method, raw_path, raw_query, signed_headers,
                         now=clock.now())
        elif credential is not None:
            # An upload's body is checked as it streams in, against the hash it declared.
            body_sha256 = (headers.get("x-amz-content-sha256") or sigv4.UNSIGNED_PAYLOAD) if streaming else (
                sigv4.payload_sha256(body)
            )
            sigv4.verify(
                credential,
                signer.secret_access_key,
                method,
                raw_path,
                raw_query,
                headers,
                body_sha256,
                now=clock.now(),
                s3=service == "s3",
            )
        if streaming:
            params["Body"] = _s3_body(request, headers, credential, signer)
        try:
            operation_for(f"{service}:{operation}")
        except KeyError:
            if service == "s3":
                raise AWSError(
                    "A header you provided implies functionality that is not implemented",
                    code="NotImplemented",
                    status=501,
                ) from None
            raise InvalidAction(f"The action {operation} is not valid for this web service.") from None
        try:
            result = dispatch(ctx, f"{service}:{operation}", params)
        except AWSError as error:  # the dispatcher has recorded its event already
            return _error(service, error, request_id, method)
        if signer is not None:
            credentials.record_use(signer, service, ctx.region)
        status, out_headers, out_body = protocol.serialize_response(service, operation, result, request_id)
        return _response(service, status, out_headers, b"" if method == "HEAD" else out_body, request_id)
    except sigv4.SigV4Error as error:
        _audit_refusal(ctx, service, operation, params, error)
        return _error(service, _as_aws_error(error), request_id, method)
    except AWSError as error:  # refused before dispatch
        _audit_refusal(ctx, service, operation, params, error)
        return _error(service, error, request_id, method)
    except RequestDataTooBig:
        error = AWSError("Request body is too large.", code="RequestEntityTooLarge", status=413)
        return _error(service, error, request_id, method)
    except SuspiciousOperation:
        error = AWSError("The request could not be parsed.", code="MalformedInput", status=400)
        return _error(service, error, request_id, method)
    except Exception:  # a defect: answered as AWS's InternalFailure, logged without the request
        logger.exception("InternalFailure for %s %s", service, operation)
        error = AWSError("We encountered an internal error. Please try again.", code="InternalFailure", status=500)
        return _error(service, error, request_id, method)


def _as_aws_error(error):
    converted = AWSError(error.message, code=error.code, status=error.status)
    converted.sender_fault = error.status < 500
    converted.details = dict(error.details)
    return converted


def _audit_refusal(ctx, service, operation, params, error):
    """A call refused before dispatch (bad signature, unsupported action) with a known
    key is still one trail event, as CloudTrail records it. Its parameters are left out,
    but an S3 object call's bucket and key: the trails that select them record it."""
    if ctx is None or operation is None:
        return
    try:
        spec = operation_for(f"{service}:{operation}").spec
    except KeyError:
        return
    error = _as_aws_error(error) if isinstance(error, sigv4.SigV4Error) else error
    address = {name: params[name] for name in ("Bucket", "Key") if name in params} if spec.data_event and params else {}
    record.api_call(ctx, spec, address, None, error=error, behind=True)
