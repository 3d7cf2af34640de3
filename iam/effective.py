"""The identity-based policies that apply to a principal, as the policy engine needs
them: ``identity_policies(user_or_role)`` and ``permissions_boundary(user_or_role)``.

Each policy comes as ``(label, document_text)``; the label says where it came from
(``{"type": "identity", "name": "ReadOnly", "arn": ..., "kind": "managed",
"attached_to": "group/admins"}``) so a decision can name the statement's policy.
Managed policies contribute their default version. A bounded number of queries
whatever the number of groups or policies (no N+1): every request an IAM user or role
signs runs these, so they are three plain SQL queries — compiling the equivalent ORM
querysets with their prefetches cost milliseconds per request, far more than running them."""

from django.db.models import Prefetch

from iam.models import Group, GroupMembership, InlinePolicy, ManagedPolicy, PolicyAttachment, PolicyVersion, Role
from iam.rows import fetchall as _rows


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


_INLINE, _ATTACHMENT = InlinePolicy._meta.db_table, PolicyAttachment._meta.db_table
_POLICY, _VERSION = ManagedPolicy._meta.db_table, PolicyVersion._meta.db_table
_GROUP, _MEMBERSHIP = Group._meta.db_table, GroupMembership._meta.db_table

# The user's groups, in the order their policies are listed.
_GROUPS_SQL = (
    f"SELECT g.id, g.group_name FROM {_GROUP} g JOIN {_MEMBERSHIP} m ON m.group_id = g.id"
    " WHERE m.user_id = %s ORDER BY g.group_name_key"
)
# Inline policies of the entity ("owner" column: {column} = the entity) and, for a user,
# of its groups: (user_id or role_id, group_id, policy_name, document).
_INLINE_SQL = f"SELECT p.{{column}}, p.group_id, p.policy_name, p.policy_document FROM {_INLINE} p WHERE {{where}}"
# Attached managed policies with their default version:
# (user_id or role_id, group_id, policy id, policy_name, policy_name_key, arn, document).
_MANAGED_SQL = (
    f"SELECT a.{{column}}, a.group_id, mp.id, mp.policy_name, mp.policy_name_key, mp.arn, v.document"
    f" FROM {_ATTACHMENT} a JOIN {_POLICY} mp ON mp.id = a.policy_id"
    f" JOIN {_VERSION} v ON v.policy_id = mp.id AND v.is_default = %s WHERE {{where}} ORDER BY v.id"
)
_OF_GROUPS = f"SELECT group_id FROM {_MEMBERSHIP} WHERE user_id = %s"
# A permissions boundary: the policy's default version.
_BOUNDARY_SQL = (
    f"SELECT mp.policy_name, mp.arn, v.document FROM {_VERSION} v JOIN {_POLICY} mp ON mp.id = v.policy_id"
    " WHERE v.policy_id = %s AND v.is_default = %s ORDER BY v.id LIMIT 1"
)


def _inline_rows(rows, where):
    return [
        ({"type": "identity", "name": name, "kind": "inline", "attached_to": where}, document)
        for name, document in sorted(rows, key=lambda row: row[0])
    ]


def _managed_rows(rows, where):
    found, seen = [], set()
    for policy_pk, name, name_key, arn, document in sorted(rows, key=lambda row: (row[2], row[3])):
        if policy_pk in seen:  # one default version per policy; never two entries
            continue
        seen.add(policy_pk)
        label = {"type": "identity", "name": name, "arn": arn, "kind": "managed", "attached_to": where}
        found.append((label, document))
    return found


def _policies_of(column, pk, groups):
    """Inline then managed policies of the entity whose ``column`` is ``pk``, then of each
    of its groups (``groups``: the entity's own label first, then (group pk, label))."""
    if len(groups) > 1:
        where, params = f"({{t}}.{column} = %s OR {{t}}.group_id IN ({_OF_GROUPS}))", [pk, pk]
    else:
        where, params = f"{{t}}.{column} = %s", [pk]
    inline = _rows(_INLINE_SQL.format(column=column, where=where.format(t="p")), params)
    managed = _rows(_MANAGED_SQL.format(column=column, where=where.format(t="a")), [True, *params])
    found = _inline_rows([row[2:] for row in inline if row[0] is not None], groups[0][1])
    found += _managed_rows([row[2:] for row in managed if row[0] is not None], groups[0][1])
    for group_pk, label in groups[1:]:
        found += _inline_rows([row[2:] for row in inline if row[0] is None and row[1] == group_pk], label)
        found += _managed_rows([row[2:] for row in managed if row[0] is None and row[1] == group_pk], label)
    return found


def identity_policies(principal):
    """Every identity-based policy of a user (its own and its groups') or a role."""
    if isinstance(principal, Role):
        return _policies_of("role_id", principal.pk, [(None, f"role/{principal.role_name}")])
    user = principal
    groups = [(pk, f"group/{name}") for pk, name in _rows(_GROUPS_SQL, [user.pk])]
    return _policies_of("user_id", user.pk, [(None, f"user/{user.user_name}"), *groups])


def permissions_boundary(principal):
    """The principal's permissions boundary as ``(label, document_text)``, or None."""
    if principal.permissions_boundary_id is None:
        return None
    kind = "role" if isinstance(principal, Role) else "user"
    name = principal.role_name if kind == "role" else principal.user_name
    rows = _rows(_BOUNDARY_SQL, [principal.permissions_boundary_id, True])
    if not rows:
        return None
    policy_name, arn, document = rows[0]
    label = {"type": "boundary", "name": policy_name, "arn": arn, "kind": "managed", "attached_to": f"{kind}/{name}"}
    return label, document
