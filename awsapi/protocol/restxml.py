"""The ``rest-xml`` protocol (S3, path-style): the operation comes from the method, the
path and the query string, matched against the model's ``requestUri`` templates
(``/{Bucket}/{Key+}``, ``/{Bucket}?policy``, ``/{Bucket}?list-type=2``); members live in
the URI, the query string, headers or an XML (or raw) payload. Errors are a bare
``<Error>``.

``path`` is the decoded path (WSGI ``PATH_INFO``, Django's ``request.path``);
``query`` maps each decoded name to its values, blank values kept (``?policy`` is
``{"policy": [""]}``)."""

import base64
import json
import re
import secrets
from functools import lru_cache
from xml.etree import ElementTree

from .common import (
    MAX_BODY_BYTES,
    ProtocolError,
    format_timestamp,
    member_xml_name,
    parse_blob,
    parse_datetime,
    parse_float,
    parse_integer,
    scalar_text,
    service_model,
    structure_xml,
    write_xml,
    xml_text,
)

XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'
S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
# Root elements S3 answers with; botocore does not look at them, the aws CLI's
# --debug output and hand-written clients do.
ROOTS = {
    "ListBuckets": "ListAllMyBucketsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListObjectVersions": "ListVersionsResult",
    "GetBucketAcl": "AccessControlPolicy",
    "GetObjectAcl": "AccessControlPolicy",
    "GetBucketTagging": "Tagging",
    "GetObjectTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration",
    "CopyObject": "CopyObjectResult",
    "DeleteObjects": "DeleteResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "GetBucketPolicyStatus": "PolicyStatus",
    "GetPublicAccessBlock": "PublicAccessBlockConfiguration",
}
# Operations that share a method and URI with another and win a tie.
PREFERRED = {"ListBuckets"}


def _invalid_argument(message):
    return ProtocolError("InvalidArgument", message)


# --- routing -------------------------------------------------------------------------


class _Route:
    def __init__(self, operation):
        self.operation = operation
        self.name = operation.name
        self.method = operation.http.get("method", "POST").upper()
        uri = operation.http["requestUri"]
        path, _, query = uri.partition("?")
        self.literals = {}
        for part in filter(None, query.split("&")):
            key, sep, value = part.partition("=")
            self.literals[key] = value if sep else None
        pattern = ""
        for piece in re.split(r"(\{[^}]+\})", path):
            if piece.startswith("{"):
                label = piece[1:-1]
                if label.endswith("+"):
                    pattern += f"(?P<{label[:-1]}>.+)"
                else:
                    pattern += f"(?P<{label}>[^/]+)"
            else:
                pattern += re.escape(piece)
        self.path = re.compile(pattern + r"\Z", re.DOTALL)
        # The slashes a matching request path has: exactly these, or at least these when
        # a greedy label ({Key+}) may hold more.
        self.slashes = path.count("/")
        self.greedy = "+}" in path
        shape = operation.input_shape
        self.required = []
        if shape is not None:
            for name in shape.required_members:
                serialization = shape.members[name].serialization
                if serialization.get("location") in ("querystring", "header"):
                    self.required.append((serialization["location"], serialization.get("name", name).lower()))
        self.rank = (len(self.literals), self.name in PREFERRED, not operation.deprecated)

    def match(self, method, path, query, headers):
        if method != self.method:
            return None
        found = self.path.match(path)
        if not found:
            return None
        for key, value in self.literals.items():
            if key not in query or (value is not None and value not in query[key]):
                return None
        present = 0
        for location, name in self.required:
            source = query if location == "querystring" else headers
            if name not in source and not (location == "querystring" and _query_has(query, name)):
                return None
            present += 1
        return (self.rank[0], present) + self.rank[1:], found.groupdict()


def _query_has(query, name):
    return any(key.lower() == name for key in query)


@lru_cache(maxsize=None)
def _routes(service):
    model = service_model(service)
    return tuple(_Route(model.operation_model(name)) for name in model.operation_names)


@lru_cache(maxsize=None)
def _most_slashes(service):
    return max(route.slashes for route in _routes(service))


@lru_cache(maxsize=None)
def _candidates(service, method, slashes):
    """The routes a request's method and path depth can match: S3 has over a hundred
    operations, a dozen of them for one method and depth."""
    return tuple(
        route for route in _routes(service)
        if route.method == method and (route.slashes == slashes or (route.greedy and slashes >= route.slashes))
    )


def _route(service, method, path, query, headers):
    method = method.upper()
    if len(path) > 1 and path.endswith("/") and path.count("/") == 2:
        path = path[:-1]  # "/bucket/" is the bucket itself
    # Deeper than any route is the same as one deeper than the deepest (only greedy
    # labels match it): a bounded cache key.
    slashes = min(path.count("/"), _most_slashes(service) + 1)
    best = None
    for route in _candidates(service, method, slashes):
        found = route.match(method, path, query, headers)
        if found and (best is None or found[0] > best[0]):
            best = (found[0], route, found[1])
    if best is None:
        raise ProtocolError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
    return best[1].operation, best[2]


# --- requests ------------------------------------------------------------------------


def _convert(shape, text, where):
    kind = shape.type_name
    try:
        if kind in ("string", "character"):
            if shape.serialization.get("jsonvalue"):
                return json.loads(base64.b64decode(text).decode("utf-8"))
            return text
        if kind == "boolean":
            if text in ("true", "false"):
                return text == "true"
            raise ValueError(text)
        if kind in ("integer", "long"):
            return parse_integer(text.strip(), kind)
        if kind in ("float", "double"):
            return parse_float(text)
        if kind == "timestamp":
            return parse_datetime(text)
        if kind == "blob":
            return parse_blob(text)
        if kind == "list":
            return [_convert(shape.member, item.strip(), where) for item in text.split(",") if item.strip()]
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _invalid_argument(f"Invalid value for {where}") from None
    return text


def _xml_root(body):
    if len(body) > MAX_BODY_BYTES:
        raise ProtocolError("MalformedXML", "The XML you provided was too large.")
    # No DTDs: entity expansion is how XML bombs work, and S3 bodies never need one.
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise _malformed_xml()
    try:
        return ElementTree.fromstring(body)
    except (ElementTree.ParseError, ValueError, RecursionError):
        raise _malformed_xml() from None


def _malformed_xml():
    return ProtocolError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _from_xml(shape, node):
    kind = shape.type_name
    if kind == "structure":
        result = {}
        children = {}
        for child in node:
            children.setdefault(_local(child.tag), []).append(child)
        attributes = {_local(key): value for key, value in node.attrib.items()}
        for name, member in shape.members.items():
            serialization = member.serialization
            if serialization.get("location"):
                continue
            if serialization.get("xmlAttribute"):
                key = serialization.get("name", name).split(":")[-1]
                if key in attributes:
                    result[name] = attributes[key]
                continue
            found = children.get(member_xml_name(name, member))
            if not found:
                continue
            if member.type_name in ("list", "map") and serialization.get("flattened"):
                result[name] = _from_xml_flattened(member, found)
            else:
                result[name] = _from_xml(member, found[0])
        return result
    if kind == "list":
        return [_from_xml(shape.member, child) for child in node]
    if kind == "map":
        return _map_entries(shape, list(node))
    text = node.text or ""
    if kind in ("string", "character"):
        return text
    try:
        return _convert(shape, text.strip(), _local(node.tag))
    except ProtocolError:
        raise _malformed_xml() from None


def _from_xml_flattened(shape, nodes):
    if shape.type_name == "list":
        return [_from_xml(shape.member, node) for node in nodes]
    return _map_entries(shape, nodes)


def _map_entries(shape, entries):
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    result = {}
    for entry in entries:
        parts = {_local(child.tag): child for child in entry}
        if key_name not in parts:
            raise _malformed_xml()
        value = parts.get(value_name)
        result[_from_xml(shape.key, parts[key_name])] = _from_xml(shape.value, value) if value is not None else None
    return result


class Routed:
    """A request's operation and path labels, found once for the API door's two questions
    (does the operation read its body as a stream? what are its parameters?), or the
    error finding them raised, for ``parse`` to raise."""

    __slots__ = ("operation", "labels", "error", "headers")

    def __init__(self, service, method, path, query, headers):
        self.operation = self.labels = self.error = None
        self.headers = headers
        try:
            self.operation, self.labels = _route(service, method, path or "/", query or {}, headers)
        except Exception as error:  # noqa: BLE001 (raised by parse, inside parse_request's own handling)
            self.error = error

    @property
    def streams_body(self):
        """Whether the operation takes its payload as a stream (PutObject's and
        UploadPart's Body), which the door hands over unread."""
        shape = self.operation.input_shape if self.operation is not None else None
        payload = shape.serialization.get("payload") if shape is not None else None
        return bool(payload and shape.members[payload].serialization.get("streaming"))


@lru_cache(maxsize=512)  # one per operation
def _input_members(shape):
    """(name, member, location, wire name, its lower case) of each input member that
    comes from the request's line or headers: read once per operation, not per request
    (PutObject has over fifty)."""
    found = []
    for name, member in shape.members.items():
        serialization = member.serialization
        location = serialization.get("location")
        if location in ("uri", "querystring", "header", "headers"):
            wire = serialization.get("name", name)
            found.append((name, member, location, wire, wire.lower()))
    return tuple(found)


def parse(service, method, path, query, headers, body, routed=None):
    query = query or {}
    if routed is None:
        routed = Routed(service, method, path, query, headers)
    if routed.error is not None:
        raise routed.error
    operation, labels = routed.operation, routed.labels
    shape = operation.input_shape
    params = {}
    if shape is None:
        return operation.name, params
    for name, member, location, wire, lower in _input_members(shape):
        if location == "header":
            value = headers.get(lower)
            if value is not None:
                params[name] = _convert(member, value, wire)
        elif location == "uri":
            if wire in labels:
                params[name] = labels[wire]
        elif location == "querystring":
            values = query.get(wire)
            if values is None:
                continue
            if isinstance(values, str):
                values = [values]
            if member.type_name == "list":
                params[name] = [_convert(member.member, value, wire) for value in values]
            elif member.type_name == "map":
                continue
            elif len(values) > 1:
                raise _invalid_argument(f"The parameter {wire} is given more than once")
            else:
                params[name] = _convert(member, values[0], wire)
        else:  # "headers": a prefix
            found = {key[len(lower) :]: value for key, value in headers.items() if key.startswith(lower)}
            if found:
                params[name] = found
    payload = shape.serialization.get("payload")
    if payload:
        member = shape.members[payload]
        if member.type_name == "blob":
            params[payload] = body or b""
        elif member.type_name == "string":
            if body:
                try:
                    params[payload] = body.decode("utf-8")
                except UnicodeDecodeError:
                    raise _invalid_argument("The request body is not valid UTF-8") from None
        elif body and body.strip():
            params[payload] = _from_xml(member, _xml_root(body))
        if payload in shape.required_members and params.get(payload) in (None, ""):
            raise ProtocolError("MissingRequestBodyError", "Request Body is empty")
    return operation.name, params


# --- responses -----------------------------------------------------------------------


def _header_value(shape, value):
    kind = shape.type_name
    if kind == "timestamp":
        return str(format_timestamp(value, shape.serialization.get("timestampFormat", "rfc822")))
    if kind == "list":
        return ",".join(_header_value(shape.member, item) for item in value)
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return base64.b64encode(json.dumps(value, separators=(",", ":")).encode("utf-8")).decode("ascii")
    return scalar_text(shape, value)


def _request_headers(request_id):
    return {"x-amz-request-id": request_id, "x-amz-id-2": base64.b64encode(secrets.token_bytes(48)).decode("ascii")}


def serialize(service, operation_name, result, request_id):
    operation = service_model(service).operation_model(operation_name)
    shape = operation.output_shape
    result = result or {}
    status = int(operation.http.get("responseCode", 200))
    headers = _request_headers(request_id)
    body = b""
    if shape is None:
        return status, headers, body
    for name, member in shape.members.items():
        value = result.get(name)
        if value is None:
            continue
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "header":
            headers[wire] = _header_value(member, value)
        elif location == "headers":
            for key, item in value.items():
                headers[f"{wire}{key}"] = str(item)
        elif location == "statusCode":
            status = int(value)
    if "ContentRange" in result and operation_name in ("GetObject", "HeadObject"):
        status = 206
    payload = shape.serialization.get("payload")
    if payload:
        member = shape.members[payload]
        value = result.get(payload)
        if member.type_name in ("blob", "string"):
            if isinstance(value, (str, bytes, bytearray)):
                body = value.encode("utf-8") if isinstance(value, str) else bytes(value)
            elif value is not None:
                body = value  # a streamed object body, iterated by the server
        elif value is not None:
            out = []
            write_xml(member_xml_name(payload, member), member, value, out, namespaces=True)
            body = (XML_HEADER + "".join(out)).encode("utf-8")
            headers.setdefault("Content-Type", "application/xml")
    elif any(not member.serialization.get("location") for member in shape.members.values()):
        if operation_name == "GetBucketLocation":
            # S3 answers with the value as the root's text; botocore's handler reads it so.
            location = result.get("LocationConstraint") or ""
            xml = f'<LocationConstraint xmlns="{S3_NAMESPACE}">{xml_text(location)}</LocationConstraint>'
        else:
            inner = []
            attrs = structure_xml(shape, result, inner, namespaces=True)
            root = ROOTS.get(operation_name, f"{operation_name}Result")
            xml = f'<{root} xmlns="{S3_NAMESPACE}"{attrs}>{"".join(inner)}</{root}>'
        body = (XML_HEADER + xml).encode("utf-8")
        headers.setdefault("Content-Type", "application/xml")
    return status, headers, body


def serialize_error(service, error, request_id):
    headers = _request_headers(request_id)
    code = xml_text(getattr(error, "code", "InternalError"))
    message = xml_text(getattr(error, "message", "") or "")
    extra = ""
    for key, value in (getattr(error, "details", None) or {}).items():
        extra += f"<{key}>{xml_text(value)}</{key}>"
    body = (
        f"{XML_HEADER}<Error><Code>{code}</Code><Message>{message}</Message>{extra}"
        f"<RequestId>{xml_text(request_id)}</RequestId><HostId>{xml_text(headers['x-amz-id-2'])}</HostId></Error>"
    )
    headers["Content-Type"] = "application/xml"
    status = int(getattr(error, "status", 500) or 500)
    return status, headers, body.encode("utf-8")
