"""Wildcard matching for actions, resources, ARNs and condition strings. Pure: no Django.

IAM wildcards are ``*`` (any run of characters) and ``?`` (one character). A pattern
compiles once into the cheapest test that decides it: equality, a prefix check, or an
anchored regular expression.
"""

import re
from functools import lru_cache

_ANY = object()


def _translate(text, star=".*", one="."):
    parts = []
    for char in text:
        if char == "*":
            parts.append(star)
        elif char == "?":
            parts.append(one)
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def has_wildcard(text):
    return "*" in text or "?" in text


@lru_cache(maxsize=8192)
def wildcard(pattern):
    """A predicate ``value -> bool`` for an IAM wildcard pattern matched against the
    whole value ("IAM JSON policy elements: Condition operators", StringLike)."""
    if pattern == "*":
        return _always
    if not has_wildcard(pattern):
        return pattern.__eq__
    if pattern.endswith("*") and not has_wildcard(pattern[:-1]):
        prefix = pattern[:-1]
        return lambda value: value.startswith(prefix)
    match = re.compile(_translate(pattern), re.DOTALL).fullmatch
    return lambda value: match(value) is not None


def _always(value):
    return True


def split_arn(text):
    """The six colon-separated components of an ARN, or None. The sixth (the resource)
    keeps any further colons."""
    parts = text.split(":", 5)
    if len(parts) != 6:
        return None
    return parts


@lru_cache(maxsize=8192)
def arn_pattern(pattern):
    """A predicate for a Resource element or an Arn condition value. Each of the first
    five ARN components is matched on its own, so a wildcard there never crosses a
    colon; the resource component may contain colons ("IAM JSON policy elements:
    Resource", "Condition operators": ArnLike)."""
    if pattern == "*":
        return _always
    parts = split_arn(pattern)
    if parts is None:
        # Fewer than six components: wildcards still stay within one component.
        regex = ":".join(_translate(part, "[^:]*", "[^:]") for part in pattern.split(":"))
        match = re.compile(regex, re.DOTALL).fullmatch
        return lambda value: match(value) is not None
    head = ":".join(parts[:5]) + ":"
    if not has_wildcard(head):
        tail = parts[5]
        if not has_wildcard(tail):
            return pattern.__eq__
        if tail.endswith("*") and not has_wildcard(tail[:-1]):
            prefix = pattern[:-1]
            return lambda value: value.startswith(prefix)
    regex = ":".join([_translate(part, "[^:]*", "[^:]") for part in parts[:5]] + [_translate(parts[5])])
    match = re.compile(regex, re.DOTALL).fullmatch
    return lambda value: match(value) is not None


def compile_pieces(pieces, arn=False):
    """A predicate from a pattern given as pieces: ``(text, literal)`` pairs where literal
    text (a substituted policy variable or ``${*}``) never acts as a wildcard."""
    if all(literal or not has_wildcard(text) for text, literal in pieces):
        return "".join(text for text, _ in pieces).__eq__
    return _regex_from_pieces(tuple(pieces), arn)


@lru_cache(maxsize=4096)
def _regex_from_pieces(pieces, arn):
    # Rebuild the pattern with literal pieces escaped; ARN component boundaries come
    # from the colons of the non-literal text only.
    out = []
    colons = 0
    for text, literal in pieces:
        if literal:
            out.append(re.escape(text))
            continue
        for char in text:
            if char == ":" and arn and colons < 5:
                colons += 1
                out.append(":")
            elif char == "*":
                out.append("[^:]*" if arn and colons < 5 else ".*")
            elif char == "?":
                out.append("[^:]" if arn and colons < 5 else ".")
            else:
                out.append(re.escape(char))
    match = re.compile("".join(out), re.DOTALL).fullmatch
    return lambda value: match(value) is not None


def action_matcher(patterns):
    """A predicate ``lowercase action -> bool`` for a list of Action values. Actions are
    case-insensitive ("IAM JSON policy elements: Action")."""
    exact = set()
    others = []
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern == "*":
            return _always
        if has_wildcard(pattern):
            others.append(wildcard(pattern))
        else:
            exact.add(pattern)
    if not others:
        return exact.__contains__
    return lambda action: action in exact or any(test(action) for test in others)
