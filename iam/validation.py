"""AWS's ValidationError text for parameters that break their model constraints
("1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy
constraint: Member must have value greater than or equal to 6")."""

import re

from awsapi.errors import ValidationError

USER_NAME = re.compile(r"[\w+=,.@-]+", re.ASCII)
PATH = re.compile(r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)")
ACCOUNT_ALIAS = re.compile(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$")
PASSWORD = re.compile(r"[\u0009\u000A\u000D\u0020-\u00FF]+")


class Constraints:
    """Collects constraint failures; ``check()`` raises them as one ValidationError."""

    def __init__(self):
        self.failures = []

    def _fail(self, member, value, constraint):
        self.failures.append(f"Value '{value}' at '{member}' failed to satisfy constraint: {constraint}")

    def range(self, member, value, low, high):
        if value is None:
            return
        if value < low:
            self._fail(member, value, f"Member must have value greater than or equal to {low}")
        elif value > high:
            self._fail(member, value, f"Member must have value less than or equal to {high}")

    def length(self, member, value, low, high, shown=None):
        if value is None:
            return
        shown = value if shown is None else shown
        if len(value) < low:
            self._fail(member, shown, f"Member must have length greater than or equal to {low}")
        elif len(value) > high:
            self._fail(member, shown, f"Member must have length less than or equal to {high}")

    def pattern(self, member, value, regex, shown=None):
        if value is None or not value:
            return
        if not regex.fullmatch(value):
            shown = value if shown is None else shown
            self._fail(member, shown, f"Member must satisfy regular expression pattern: {regex.pattern}")

    def enum(self, member, value, allowed):
        if value is not None and value not in allowed:
            self._fail(member, value, f"Member must satisfy enum value set: [{', '.join(allowed)}]")

    def required(self, member, value):
        if value is None:
            # AWS prints a missing value as a bare null, without the quotes of a value.
            self.failures.append(f"Value null at '{member}' failed to satisfy constraint: Member must not be null")

    def check(self):
        if not self.failures:
            return
        count = len(self.failures)
        noun = "error" if count == 1 else "errors"
        raise ValidationError(f"{count} validation {noun} detected: " + "; ".join(self.failures))
