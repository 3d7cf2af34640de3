"""The ``query`` protocol (IAM, STS) and its ``ec2`` variant: form-encoded requests
(``Action=CreateUser&Version=2010-05-08&Tags.member.1.Key=...``) in, XML out.

Requests are read the way botocore's ``QuerySerializer``/``EC2Serializer`` write them;
responses are written the way its ``QueryParser``/``EC2QueryParser`` read them:
``<XResponse><XResult>...</XResult><ResponseMetadata>`` for query, no Result wrapper and
a ``<requestId>`` for ec2."""

from urllib.parse import parse_qsl

from .common import (
    MAX_BODY_BYTES,
    MAX_FIELDS,
    ProtocolError,
    parse_blob,
    parse_datetime,
    parse_float,
    parse_integer,
    service_model,
    structure_xml,
    validate,
    xml_text,
)

FORM = "application/x-www-form-urlencoded"
# List indices past this are refused rather than parsed (a key of a million digits).
MAX_INDEX_DIGITS = 7
# No model nests parameters deeper than this (EC2's deepest is about ten segments);
# longer keys are not members and are skipped.
MAX_KEY_SEGMENTS = 32


def _malformed(message):
    return ProtocolError("MalformedInput", message)


class _Node:
    __slots__ = ("value", "children")

    def __init__(self):
        self.value = None
        self.children = {}


def _form_fields(method, query, headers, body):
    """The request's parameters as one dict, from the query string and (for a form
    POST) the body; a parameter given twice is refused."""
    pairs = []
    for key, values in (query or {}).items():
        for value in values if isinstance(values, (list, tuple)) else [values]:
            pairs.append((key, value))
    if body:
        if len(body) > MAX_BODY_BYTES:
            raise ProtocolError(
                "RequestEntityTooLarge", f"Request body must be no larger than {MAX_BODY_BYTES} bytes", 413
            )
        content_type = headers.get("content-type", FORM).split(";")[0].strip().lower()
        if method.upper() == "POST" and content_type in (FORM, ""):
            try:
                text = body.decode("utf-8")
                pairs.extend(
                    parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=MAX_FIELDS)
                )
            except UnicodeDecodeError:
                raise _malformed("The request body is not valid UTF-8") from None
            except ValueError:
                raise _malformed(f"The request has more than {MAX_FIELDS} parameters") from None
    if len(pairs) > MAX_FIELDS:
        raise _malformed(f"The request has more than {MAX_FIELDS} parameters")
    fields = {}
    for key, value in pairs:
        if key in fields:
            raise _malformed(f"The parameter {key} is given more than once")
        fields[key] = value
    return fields


def _tree(fields):
    root = _Node()
    for key, value in fields.items():
        if key.count(".") >= MAX_KEY_SEGMENTS:
            continue
        node = root
        for segment in key.split("."):
            node = node.children.setdefault(segment, _Node())
        node.value = value
    return root


def _indexed(node, path):
    """The children of a list or map node keyed 1..N, in index order."""
    items = []
    for key, child in node.children.items():
        if not key.isdigit() or not key.isascii() or len(key) > MAX_INDEX_DIGITS or key[0] == "0":
            raise _malformed(f"Invalid list index '{key}' in parameter {path}")
        items.append((int(key), child))
    items.sort(key=lambda pair: pair[0])
    return [child for _, child in items]


class _Reader:
    def __init__(self, ec2):
        self.ec2 = ec2

    def member_key(self, name, shape):
        serialization = shape.serialization
        if self.ec2:
            if "queryName" in serialization:
                return serialization["queryName"]
            if "name" in serialization:
                return serialization["name"][:1].upper() + serialization["name"][1:]
            return name
        if shape.type_name == "list" and serialization.get("flattened"):
            inner = shape.member.serialization.get("name")
            if inner:
                return inner
        return serialization.get("name", name)

    def read(self, shape, node, path):
        kind = shape.type_name
        handler = getattr(self, f"_read_{kind}", None)
        if handler is not None:
            return handler(shape, node, path)
        return self._scalar(shape, node, path)

    def _read_structure(self, shape, node, path):
        if not node.children:
            return None
        result = {}
        for name, member in shape.members.items():
            child = node.children.get(self.member_key(name, member))
            if child is None:
                continue
            value = self.read(member, child, f"{path}.{self.member_key(name, member)}" if path else name)
            if value is not None:
                result[name] = value
        return result

    def _read_list(self, shape, node, path):
        if self.ec2 or shape.serialization.get("flattened"):
            container = node
        else:
            container = node.children.get(shape.member.serialization.get("name", "member"))
        if container is None or not container.children:
            # botocore sends an empty list as "Name=" (query protocol).
            return [] if node.value == "" and not node.children else None
        values = []
        for child in _indexed(container, path):
            value = self.read(shape.member, child, path)
            if value is not None:
                values.append(value)
        return values

    def _read_map(self, shape, node, path):
        container = node if shape.serialization.get("flattened") else node.children.get("entry")
        if container is None or not container.children:
            return {} if node.value == "" and not node.children else None
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        result = {}
        for entry in _indexed(container, path):
            key_node = entry.children.get(key_name)
            value_node = entry.children.get(value_name)
            if key_node is None or key_node.value is None:
                raise _malformed(f"A map entry of {path} has no {key_name}")
            key = self.read(shape.key, key_node, path)
            result[key] = self.read(shape.value, value_node, path) if value_node is not None else None
        return result

    def _scalar(self, shape, node, path):
        text = node.value
        if text is None:
            return None
        kind = shape.type_name
        if kind in ("string", "character"):
            return text
        if kind == "boolean":
            if text in ("true", "1"):
                return True
            if text in ("false", "0"):
                return False
            if text == "":
                raise _malformed("missing value for boolean type")
            raise _malformed("boolean must follow xsd1.1 definition")
        try:
            if kind in ("integer", "long"):
                return parse_integer(text, kind)
            if kind in ("float", "double"):
                return parse_float(text)
            if kind == "timestamp":
                return parse_datetime(text)
            if kind == "blob":
                return parse_blob(text)
        except ValueError:
            raise _malformed(f"Invalid {kind} value '{text}' for parameter {path}") from None
        return text


def parse(service, method, query, headers, body, ec2=False):
    model = service_model(service)
    fields = _form_fields(method, query, headers, body)
    action = fields.pop("Action", None)
    version = fields.pop("Version", None)
    if not action:
        raise ProtocolError("MissingAction", "Missing Action")
    api_version = model.metadata["apiVersion"]
    if action not in _operation_names(service):
        if ec2:
            raise ProtocolError("InvalidAction", f"The action {action} is not valid for this web service.")
        raise ProtocolError("InvalidAction", f"Could not find operation {action} for version {version or api_version}")
    if version and version != api_version and not ec2:
        raise ProtocolError("InvalidAction", f"Could not find operation {action} for version {version}")
    operation = model.operation_model(action)
    shape = operation.input_shape
    params = {}
    if shape is not None:
        params = _Reader(ec2).read(shape, _tree(fields), "") or {}
        if ec2:
            for name in shape.required_members:
                if params.get(name) is None:
                    key = _Reader(True).member_key(name, shape.members[name])
                    raise ProtocolError("MissingParameter", f"The request must contain the parameter {key}")
        else:
            validate(shape, params, "ValidationError")
    return action, params


_NAMES = {}


def _operation_names(service):
    names = _NAMES.get(service)
    if names is None:
        names = _NAMES[service] = frozenset(service_model(service).operation_names)
    return names


# --- responses -----------------------------------------------------------------------

XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'


def serialize(service, operation_name, result, request_id, ec2=False):
    model = service_model(service)
    operation = model.operation_model(operation_name)
    namespace = model.metadata.get("xmlNamespace", "")
    shape = operation.output_shape
    inner = []
    if shape is not None:
        structure_xml(shape, result or {}, inner)
    members = "".join(inner)
    name = f"{operation_name}Response"
    rid = xml_text(request_id)
    if ec2:
        body = f'{XML_HEADER}<{name} xmlns="{namespace}"><requestId>{rid}</requestId>{members}</{name}>'
    else:
        wrapper = shape.serialization.get("resultWrapper") if shape is not None else None
        if wrapper:
            members = f"<{wrapper}>{members}</{wrapper}>"
        metadata = f"<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata>"
        body = f'{XML_HEADER}<{name} xmlns="{namespace}">{members}{metadata}</{name}>'
    headers = {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}
    return 200, headers, body.encode("utf-8")


def serialize_error(service, error, request_id, ec2=False):
    code = xml_text(getattr(error, "code", "InternalFailure"))
    message = xml_text(getattr(error, "message", "") or "")
    rid = xml_text(request_id)
    status = int(getattr(error, "status", 500) or 500)
    if ec2:
        body = (
            f"{XML_HEADER}<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>{rid}</RequestID></Response>"
        )
    else:
        try:
            namespace = service_model(service).metadata.get("xmlNamespace", "")
        except ProtocolError:
            namespace = ""
        kind = "Sender" if getattr(error, "sender_fault", status < 500) else "Receiver"
        xmlns = f' xmlns="{namespace}"' if namespace else ""
        body = (
            f"{XML_HEADER}<ErrorResponse{xmlns}><Error><Type>{kind}</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
        )
    headers = {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}
    return status, headers, body.encode("utf-8")

