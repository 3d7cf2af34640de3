"""Policy variables: ``${aws:username}``, ``${aws:PrincipalTag/team}``, ``${*}``,
``${?}``, ``${$}`` and defaults ``${aws:userid, 'anonymous'}``. Pure: no Django.

AWS substitutes variables only in policies whose Version is 2012-10-17; in older or
unversioned policies the text is literal ("IAM policy elements: Variables and tags").
A variable whose key has no value in the request is effectively null: a Resource (or
NotResource) entry holding it matches nothing, a condition value holding it matches
nothing (so negated operators are true) ("Policy variables with no value").
"""

import re

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*(.+?)\s*,\s*'([^']*)'\s*$")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}


class Template:
    """A policy string with variables, split into pieces: ``(kind, text, default)`` with
    kind "text" (pattern text), "literal" (``${*}`` and friends) or "key"."""

    __slots__ = ("pieces", "keys", "_compiled")

    def __init__(self, pieces):
        self.pieces = pieces
        self.keys = tuple((text, default) for kind, text, default in pieces if kind == "key")
        self._compiled = {}

    def matcher(self, context, build):
        """``build(pieces)`` for this request's variable values, memoized per values; None
        when a variable has no value and no default."""
        values = []
        for key, default in self.keys:
            value = single_value(context.get(key))
            if value is None:
                if default is None:
                    return None
                value = default
            values.append(value)
        values = tuple(values)
        found = self._compiled.get(values)
        if found is None:
            if len(self._compiled) > 1024:
                self._compiled.clear()
            found = self._compiled[values] = build(self.resolve(values))
        return found

    def resolve(self, values):
        """``[(text, literal)]`` with the variables replaced by ``values`` in order."""
        out = []
        values = iter(values)
        for kind, text, _ in self.pieces:
            if kind == "key":
                out.append((next(values), True))
            else:
                out.append((text, kind == "literal"))
        return out

    def prefix(self):
        """The literal text every match starts with (up to the first variable)."""
        kind, text, _ = self.pieces[0]
        return text if kind == "text" else ""


def single_value(value):
    """The one string of a context value; multivalued keys cannot be variables
    ("Single-valued vs. multivalued context keys")."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and len(value) == 1 and isinstance(value[0], str):
        return value[0]
    return None


def parse(text):
    """A Template when text holds a policy variable, else the text itself."""
    if "${" not in text:
        return text
    pieces = []
    position = 0
    found = False
    for match in _VARIABLE.finditer(text):
        inner = match.group(1)
        special = _SPECIAL.get(inner)
        default_match = _DEFAULT.match(inner)
        if special is None and not inner.strip():
            continue
        found = True
        if match.start() > position:
            pieces.append(("text", text[position : match.start()], None))
        if special is not None:
            pieces.append(("literal", special, None))
        elif default_match:
            pieces.append(("key", default_match.group(1).lower(), default_match.group(2)))
        else:
            pieces.append(("key", inner.strip().lower(), None))
        position = match.end()
    if not found:
        return text
    if position < len(text):
        pieces.append(("text", text[position:], None))
    return Template(tuple(pieces))
