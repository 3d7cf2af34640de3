"""The ``json`` protocol (CloudTrail): the operation in ``X-Amz-Target``
("<targetPrefix>.<Operation>"), parameters in a JSON body, errors as
``{"__type": code, "message": ...}``. Timestamps travel as epoch seconds."""

import json

from .common import (
    MAX_BODY_BYTES,
    ProtocolError,
    epoch_to_datetime,
    format_epoch,
    format_timestamp,
    parse_blob,
    parse_datetime,
    scalar_text,
    service_model,
    validate,
)

CONTENT_TYPES = ("", "application/json")


def _serialization_error(message):
    return ProtocolError("SerializationException", message)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _read(shape, value, path):
    if value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            return value
        if not isinstance(value, dict):
            raise _serialization_error(f"Expected an object for {path or 'the request'}")
        result = {}
        for name, member in shape.members.items():
            item = _read(member, value.get(member.serialization.get("name", name)), f"{path}.{name}" if path else name)
            if item is not None:
                result[name] = item
        return result
    if kind == "list":
        if not isinstance(value, list):
            raise _serialization_error(f"Expected a list for {path}")
        return [item for item in (_read(shape.member, element, path) for element in value) if item is not None]
    if kind == "map":
        if not isinstance(value, dict):
            raise _serialization_error(f"Expected an object for {path}")
        return {key: _read(shape.value, item, path) for key, item in value.items()}
    if kind in ("string", "character"):
        if not isinstance(value, str):
            raise _serialization_error(f"Expected a string for {path}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _serialization_error(f"Expected a boolean for {path}")
        return value
    if kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise _serialization_error(f"Expected an integer for {path}")
        limit = 2**31 if kind == "integer" else 2**63
        if not -limit <= value < limit:
            raise _serialization_error(f"Number out of range for {path}")
        return value
    if kind in ("float", "double"):
        if not _is_number(value):
            raise _serialization_error(f"Expected a number for {path}")
        return float(value)
    try:
        if kind == "timestamp":
            if _is_number(value):
                return epoch_to_datetime(value)
            if isinstance(value, str):
                return parse_datetime(value)
            raise ValueError(value)
        if kind == "blob":
            if not isinstance(value, str):
                raise ValueError(value)
            return parse_blob(value)
    except ValueError:
        raise _serialization_error(f"Invalid {kind} value for {path}") from None
    return value


def parse(service, method, headers, body):
    model = service_model(service)
    target = headers.get("x-amz-target", "")
    prefix, _, name = target.rpartition(".")
    if prefix != model.metadata.get("targetPrefix") or name not in model.operation_names:
        raise ProtocolError("UnknownOperationException", "")
    if method.upper() != "POST":
        raise ProtocolError("UnknownOperationException", "")
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in CONTENT_TYPES and not content_type.startswith("application/x-amz-json-"):
        raise _serialization_error(f"Unsupported content type: {content_type}")
    if len(body or b"") > MAX_BODY_BYTES:
        raise ProtocolError("RequestEntityTooLarge", f"Request body must be no larger than {MAX_BODY_BYTES} bytes", 413)
    try:
        document = json.loads(body.decode("utf-8")) if body and body.strip() else {}
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _serialization_error("The request body is not valid JSON") from None
    operation = model.operation_model(name)
    shape = operation.input_shape
    if shape is None:
        return name, {}
    if not isinstance(document, dict):
        raise _serialization_error("Expected an object for the request")
    params = _read(shape, document, "") or {}
    validate(shape, params, "ValidationException")
    return name, params


# --- responses -----------------------------------------------------------------------


def _write(shape, value):
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            return value
        result = {}
        for name, member in shape.members.items():
            item = value.get(name)
            if item is not None:
                result[member.serialization.get("name", name)] = _write(member, item)
        return result
    if kind == "list":
        return [_write(shape.member, item) for item in value]
    if kind == "map":
        return {str(key): _write(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat", "unixtimestamp")
        if fmt == "unixtimestamp":
            return format_epoch(value)
        return format_timestamp(value, fmt)
    if kind == "blob":
        return scalar_text(shape, value)
    if kind == "boolean":
        return bool(value)
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("float", "double"):
        return float(value)
    return str(value)


def _content_type(model):
    return f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.1')}"


def serialize(service, operation_name, result, request_id):
    model = service_model(service)
    shape = model.operation_model(operation_name).output_shape
    document = _write(shape, result or {}) if shape is not None else {}
    headers = {"Content-Type": _content_type(model), "x-amzn-RequestId": request_id}
    return 200, headers, json.dumps(document).encode("utf-8")


JSON_CODES = {"AccessDenied": "AccessDeniedException"}


def serialize_error(service, error, request_id):
    try:
        content_type = _content_type(service_model(service))
    except ProtocolError:
        content_type = "application/x-amz-json-1.1"
    code = getattr(error, "code", "InternalFailure")
    # JSON services name a denial AccessDeniedException on the wire (CloudTrail's event
    # still says AccessDenied).
    code = JSON_CODES.get(code, code)
    document = {"__type": code, "message": getattr(error, "message", "") or ""}
    headers = {"Content-Type": content_type, "x-amzn-RequestId": request_id}
    status = int(getattr(error, "status", 500) or 500)
    return status, headers, json.dumps(document).encode("utf-8")
