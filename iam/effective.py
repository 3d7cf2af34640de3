"""The identity-based policies that apply to a principal, as the policy engine needs
them: ``identity_policies(user_or_role)`` and ``permissions_boundary(user_or_role)``.

Each policy comes as ``(label, document_text)``; the label says where it came from
(``{"type": "identity", "name": "ReadOnly", "arn": ..., "kind": "managed",
"attached_to": "group/admins"}``) so a decision can name the statement's policy.
Managed policies contribute their default version. A bounded number of queries
whatever the number of groups or policies (prefetching, no N+1)."""

from django.db.models import Prefetch

from iam.models import InlinePolicy, PolicyAttachment, PolicyVersion, Role


def _attachments():
    """Attachments with each policy's default version, fetched in two queries."""
    return PolicyAttachment.objects.select_related("policy").prefetch_related(
        Prefetch("policy__versions", queryset=PolicyVersion.objects.filter(is_default=True), to_attr="defaults")
    )


def _inline(policies, attached_to):
    return [
        ({"type": "identity", "name": p.policy_name, "kind": "inline", "attached_to": attached_to}, p.policy_document)
        for p in sorted(policies, key=lambda p: p.policy_name)
    ]


def _managed(attachments, attached_to):
    found = []
    for attachment in sorted(attachments, key=lambda a: (a.policy.policy_name_key, a.policy.arn)):
        policy = attachment.policy
        if not policy.defaults:
            continue
        label = {
            "type": "identity",
            "name": policy.policy_name,
            "arn": policy.arn,
            "kind": "managed",
            "attached_to": attached_to,
        }
        found.append((label, policy.defaults[0].document))
    return found


def identity_policies(principal):
    """Every identity-based policy of a user (its own and its groups') or a role."""
    if isinstance(principal, Role):
        where = f"role/{principal.role_name}"
        return _inline(InlinePolicy.objects.filter(role=principal), where) + _managed(
            _attachments().filter(role=principal), where
        )
    user = principal
    where = f"user/{user.user_name}"
    found = _inline(InlinePolicy.objects.filter(user=user), where)
    found += _managed(_attachments().filter(user=user), where)
    groups = user.groups.order_by("group_name_key").prefetch_related(
        "inline_policies", Prefetch("attachments", queryset=_attachments())
    )
    for group in groups:
        where = f"group/{group.group_name}"
        found += _inline(group.inline_policies.all(), where)
        found += _managed(group.attachments.all(), where)
    return found


def permissions_boundary(principal):
    """The principal's permissions boundary as ``(label, document_text)``, or None."""
    if principal.permissions_boundary_id is None:
        return None
    kind = "role" if isinstance(principal, Role) else "user"
    name = principal.role_name if kind == "role" else principal.user_name
    version = (
        PolicyVersion.objects.select_related("policy")
        .filter(policy_id=principal.permissions_boundary_id, is_default=True)
        .first()
    )
    if version is None:
        return None
    label = {
        "type": "boundary",
        "name": version.policy.policy_name,
        "arn": version.policy.arn,
        "kind": "managed",
        "attached_to": f"{kind}/{name}",
    }
    return label, version.document
