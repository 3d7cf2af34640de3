"""The AWS wire: requests parsed and responses written from botocore's own service
models, as LocalStack's AWS Server Framework does, for the four protocols iamlab
serves — ``query`` (IAM, STS), ``ec2``, ``json`` (CloudTrail) and ``rest-xml`` (S3).

    operation, params = parse_request("iam", "POST", "/", {}, headers, body)
    status, headers, body = serialize_response("iam", operation, result, request_id)
    status, headers, body = serialize_error("iam", error, request_id)

``params`` and ``result`` use AWS's member names with Python values (int, bool,
datetime, bytes, lists, dicts), as botocore's clients use them. Bad input never
escapes as anything but an ``AWSError`` (``ProtocolError`` or ``ValidationError``)
carrying AWS's code, message and status. No Django here: plain Python and botocore."""

import logging

from awsapi.errors import AWSError

from . import json_protocol, restxml
from . import query as query_protocol
from .common import ProtocolError, service_model

__all__ = ["ProtocolError", "parse_request", "route_request", "serialize_response", "serialize_error",
           "service_model"]

log = logging.getLogger(__name__)

# What a request that breaks the parser in an unforeseen way is answered with, per
# protocol: still the client's fault (its input), never a 500.
_FALLBACK = {
    "query": ("MalformedInput", "The request could not be parsed."),
    "ec2": ("InvalidParameterValue", "The request could not be parsed."),
    "json": ("SerializationException", "The request could not be parsed."),
    "rest-xml": ("InvalidRequest", "The request could not be parsed."),
}


def _protocol(service):
    return service_model(service).protocol


def _lower(headers):
    return {str(key).lower(): value for key, value in (headers or {}).items()}


def parse_request(service, method, path, query, headers, body, routed=None):
    """The operation name and its parameters from one HTTP request.

    ``query`` maps decoded names to lists of decoded values; ``headers`` has
    lowercase names; ``body`` is bytes; ``routed``, what ``route_request`` found for the
    same request. Raises ``AWSError`` for anything malformed."""
    protocol = _protocol(service)
    headers = routed.headers if routed is not None else _lower(headers)
    body = body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    try:
        if protocol == "query":
            return query_protocol.parse(service, method, query, headers, body)
        if protocol == "ec2":
            return query_protocol.parse(service, method, query, headers, body, ec2=True)
        if protocol == "json":
            return json_protocol.parse(service, method, headers, body)
        if protocol == "rest-xml":
            return restxml.parse(service, method, path, query, headers, body, routed)
    except AWSError:
        raise
    except RecursionError:
        code, message = _FALLBACK[protocol]
        raise ProtocolError(code, "The request is nested too deeply.") from None
    except Exception:
        log.exception("Unparseable %s request", service)
        code, message = _FALLBACK[protocol]
        raise ProtocolError(code, message) from None
    raise ProtocolError("InvalidAction", f"Unsupported protocol {protocol}")


def route_request(service, method, path, query, headers):
    """A rest-xml (S3) request's operation, found once: ``.streams_body`` says whether the
    operation reads the body itself, as a stream (an upload), and ``parse_request(...,
    routed=)`` takes it. None for the other protocols, whose operation is named in the
    request."""
    if _protocol(service) != "rest-xml":
        return None
    return restxml.Routed(service, method, path, query, _lower(headers))


def serialize_response(service, operation_name, result, request_id):
    """(status, headers, body) for a successful call, in the protocol's envelope."""
    protocol = _protocol(service)
    if protocol == "query":
        return query_protocol.serialize(service, operation_name, result, request_id)
    if protocol == "ec2":
        return query_protocol.serialize(service, operation_name, result, request_id, ec2=True)
    if protocol == "json":
        return json_protocol.serialize(service, operation_name, result, request_id)
    return restxml.serialize(service, operation_name, result, request_id)


def serialize_error(service, error, request_id):
    """(status, headers, body) for an error with ``.code``, ``.message``, ``.status``
    and ``.sender_fault``; an unknown service gets the query protocol's format."""
    try:
        protocol = _protocol(service)
    except ProtocolError:
        protocol = "query"
    if protocol == "ec2":
        return query_protocol.serialize_error(service, error, request_id, ec2=True)
    if protocol == "json":
        return json_protocol.serialize_error(service, error, request_id)
    if protocol == "rest-xml":
        return restxml.serialize_error(service, error, request_id)
    return query_protocol.serialize_error(service, error, request_id)
