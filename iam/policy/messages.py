"""AWS's AccessDenied texts ("Troubleshoot access denied error messages"). Pure: no
Django."""

_EXPLICIT = {
    "identity": "an identity-based policy",
    "resource": "a resource-based policy",
    "boundary": "a permissions boundary",
    "session": "a session policy",
}
# The policy types whose explicit deny names a policy's ARN.
ARN_NAMED = ("identity", "boundary")

_IMPLICIT = {
    "identity": "identity-based policy",
    "resource": "resource-based policy",
    "boundary": "permissions boundary",
    "session": "session policy",
}


def denial_message(principal_arn, action, resource, decision):
    """The AccessDenied message for a denied Decision. An explicit deny from a managed
    policy names that policy's ARN, as AWS does since its enhanced messages."""
    if decision.allowed:
        raise ValueError("the request was allowed")
    head = f"User: {principal_arn} is not authorized to perform: {action} on resource: {resource}"
    if decision.decision == "explicitDeny":
        text = f"{head} with an explicit deny in {_EXPLICIT[decision.denied_by]}"
        arn = _deciding_arn(decision)
        return f"{text}: {arn}" if arn else text
    if decision.denied_by == "resource" and action.lower().startswith("sts:assumerole"):
        # A role's trust policy that does not name the caller: AWS says no more than this.
        return head
    return f"{head} because no {_IMPLICIT[decision.denied_by]} allows the {action} action"


def names_policy(denied_by, match):
    """Whether an explicit deny by ``denied_by`` names the policy of this deny ``match``
    in its message: the first such match is the one named."""
    label = match["label"] or {}
    return label.get("type", denied_by) == denied_by and bool(label.get("arn"))


def settles_message(denied_by, match):
    """Whether the message of an explicit deny by ``denied_by`` is settled once this deny
    ``match`` is found: types that name no policy are settled by their first deny."""
    return denied_by not in ARN_NAMED or names_policy(denied_by, match)


def _deciding_arn(decision):
    if decision.denied_by not in ARN_NAMED:
        return None
    for match in decision.matched:
        if names_policy(decision.denied_by, match):
            return match["label"]["arn"]
    return None
