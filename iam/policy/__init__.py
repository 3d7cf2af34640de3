"""The IAM policy engine: grammar, validation and evaluation, as AWS does them. Pure: no
Django, nothing from the rest of the project.

    policy = validate_policy(text, "identity", 2048)    # PolicyError / PolicySizeError
    decision = evaluate(Request("iam:CreateUser", arn, principal_arn=..., context=...),
                        identity_policies=[(label, compile_policy(text, "identity"))])
    if not decision.allowed:
        raise AccessDenied(denial_message(principal_arn, action, arn, decision))
"""

from .document import (
    Policy,
    PolicyError,
    PolicySizeError,
    compile_policy,
    policy_size,
    size_message,
    validate_policy,
)
from .evaluate import Decision, Request, evaluate
from .messages import denial_message

__all__ = [
    "Decision",
    "Policy",
    "PolicyError",
    "PolicySizeError",
    "Request",
    "compile_policy",
    "denial_message",
    "evaluate",
    "policy_size",
    "size_message",
    "validate_policy",
]
