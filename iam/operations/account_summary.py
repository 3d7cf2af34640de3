"""The account as a whole: GetAccountSummary (entity counts against AWS's quotas) and
GetAccountAuthorizationDetails (every user, group, role and managed policy with their
relationships). Both read in a fixed number of queries, however big the account."""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce

from awsapi.operation import operation
from iam.models import (
    MFADevice,
    AccessKey,
    Account,
    Group,
    GroupMembership,
    InstanceProfile,
    ManagedPolicy,
    PolicyAttachment,
    Role,
    User,
)
from iam.operations.access_keys import ACCESS_KEYS_PER_USER
from iam.operations.common import (
    GROUP_INLINE_SIZE,
    MANAGED_POLICY_SIZE,
    ROLE_INLINE_SIZE,
    TRUST_POLICY_SIZE,
    USER_INLINE_SIZE,
    account_of,
    boundary_shape,
    paginate,
    quota,
    tags_shape,
    url_encoded,
)
from iam.operations.instance_profiles import instance_profile_shape
from iam.operations.policies import policy_shape, with_usage
from iam.validation import Constraints

# Quotas AWS reports that iamlab does not otherwise enforce ("IAM and AWS STS quotas").
POLICY_VERSIONS_IN_USE = 10000
SERVER_CERTIFICATES_PER_ACCOUNT = 20
SIGNING_CERTIFICATES_PER_USER = 2
ENTITY_TYPES = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")


def _count(model, **filters):
    """A subquery counting ``model`` rows of the outer account."""
    rows = (
        model.objects.filter(account=OuterRef("pk"), **filters)
        .order_by()
        .values("account")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


@operation("iam:GetAccountSummary", read_only=True)
def get_account_summary(ctx):
    """GetAccountSummary: usage and quotas, every key AWS documents, in one query."""
    account = account_of(ctx)
    usage = (
        Account.objects.filter(pk=account.pk)
        .annotate(
            n_users=_count(User),
            n_groups=_count(Group),
            n_roles=_count(Role),
            n_policies=_count(ManagedPolicy),
            n_instance_profiles=_count(InstanceProfile),
            n_attachments=_count(PolicyAttachment),
            n_root_keys=_count(AccessKey, user__isnull=True),
            n_mfa=_count(MFADevice),
            n_mfa_in_use=_count(MFADevice, enable_date__isnull=False),
            n_root_mfa=_count(MFADevice, user__isnull=True, enable_date__isnull=False),
        )
        .values(
            "n_users", "n_groups", "n_roles", "n_policies", "n_instance_profiles", "n_attachments", "n_root_keys",
            "n_mfa", "n_mfa_in_use", "n_root_mfa",
        )
        .get()
    )
    summary = {
        "Users": usage["n_users"],
        "UsersQuota": quota("USERS_PER_ACCOUNT"),
        "Groups": usage["n_groups"],
        "GroupsQuota": quota("GROUPS_PER_ACCOUNT"),
        "Roles": usage["n_roles"],
        "RolesQuota": quota("ROLES_PER_ACCOUNT"),
        "Policies": usage["n_policies"],
        "PoliciesQuota": quota("POLICIES_PER_ACCOUNT"),
        "InstanceProfiles": usage["n_instance_profiles"],
        "InstanceProfilesQuota": quota("INSTANCE_PROFILES_PER_ACCOUNT"),
        "AccessKeysPerUserQuota": ACCESS_KEYS_PER_USER,
        "GroupsPerUserQuota": quota("GROUPS_PER_USER"),
        "AttachedPoliciesPerUserQuota": quota("MANAGED_POLICIES_PER_ENTITY"),
        "AttachedPoliciesPerGroupQuota": quota("MANAGED_POLICIES_PER_ENTITY"),
        "AttachedPoliciesPerRoleQuota": quota("MANAGED_POLICIES_PER_ENTITY"),
        # Each attachment of a managed policy puts its default version in use.
        "PolicyVersionsInUse": usage["n_attachments"],
        "PolicyVersionsInUseQuota": POLICY_VERSIONS_IN_USE,
        "VersionsPerPolicyQuota": quota("VERSIONS_PER_POLICY"),
        "PolicySizeQuota": MANAGED_POLICY_SIZE,
        "UserPolicySizeQuota": USER_INLINE_SIZE,
        "GroupPolicySizeQuota": GROUP_INLINE_SIZE,
        "RolePolicySizeQuota": ROLE_INLINE_SIZE,
        "AssumeRolePolicySizeQuota": TRUST_POLICY_SIZE,
        "ServerCertificates": 0,
        "ServerCertificatesQuota": SERVER_CERTIFICATES_PER_ACCOUNT,
        "SigningCertificatesPerUserQuota": SIGNING_CERTIFICATES_PER_USER,
        "Providers": 0,
        "MFADevices": usage["n_mfa"],
        "MFADevicesInUse": usage["n_mfa_in_use"],
        "AccountMFAEnabled": 1 if usage["n_root_mfa"] else 0,
        "AccountAccessKeysPresent": 1 if usage["n_root_keys"] else 0,
        "AccountPasswordPresent": 1 if account.root_password else 0,
        "AccountSigningCertificatesPresent": 0,
        # STS's global endpoint issues v1 (region-less) session tokens by default.
        "GlobalEndpointTokenVersion": 1,
    }
    return {"SummaryMap": summary}


# --- GetAccountAuthorizationDetails --------------------------------------------------


def _inline_list(entity):
    return [
        {"PolicyName": policy.policy_name, "PolicyDocument": url_encoded(policy.policy_document)}
        for policy in sorted(entity.inline_policies.all(), key=lambda p: p.policy_name)
    ]


def _attached_list(entity):
    return [
        {"PolicyName": attachment.policy.policy_name, "PolicyArn": attachment.policy.arn}
        for attachment in sorted(entity.attachments.all(), key=lambda a: a.policy.policy_name_key)
    ]


def _with_tags(shape, entity):
    tags = tags_shape(entity.tags)
    if tags:
        shape["Tags"] = tags
    return shape


def _user_detail(user):
    shape = {
        "Path": user.path,
        "UserName": user.user_name,
        "UserId": user.user_id,
        "Arn": user.arn,
        "CreateDate": user.create_date,
        "UserPolicyList": _inline_list(user),
        "GroupList": sorted((m.group.group_name for m in user.memberships.all()), key=str.lower),
        "AttachedManagedPolicies": _attached_list(user),
    }
    if user.permissions_boundary_id:
        shape["PermissionsBoundary"] = boundary_shape(user.permissions_boundary)
    return _with_tags(shape, user)


def _group_detail(group):
    return {
        "Path": group.path,
        "GroupName": group.group_name,
        "GroupId": group.group_id,
        "Arn": group.arn,
        "CreateDate": group.create_date,
        "GroupPolicyList": _inline_list(group),
        "AttachedManagedPolicies": _attached_list(group),
    }


def _role_detail(role):
    shape = {
        "Path": role.path,
        "RoleName": role.role_name,
        "RoleId": role.role_id,
        "Arn": role.arn,
        "CreateDate": role.create_date,
        "AssumeRolePolicyDocument": url_encoded(role.assume_role_policy_document),
        "InstanceProfileList": [instance_profile_shape(profile) for profile in role.instance_profiles.all()],
        "RolePolicyList": _inline_list(role),
        "AttachedManagedPolicies": _attached_list(role),
    }
    if role.permissions_boundary_id:
        shape["PermissionsBoundary"] = boundary_shape(role.permissions_boundary)
    # RoleLastUsed is left out: iamlab does not track it yet (GetRole returns it empty).
    return _with_tags(shape, role)


def _policy_detail(policy):
    shape = policy_shape(policy)
    shape["PolicyVersionList"] = [
        {
            "Document": url_encoded(version.document),
            "VersionId": version.version_id,
            "IsDefaultVersion": version.is_default,
            "CreateDate": version.create_date,
        }
        for version in sorted(policy.versions.all(), key=lambda v: int(v.version_id[1:].split(".")[0]))
    ]
    if policy.description:
        shape["Description"] = policy.description
    return shape


def _attachments():
    return Prefetch("attachments", queryset=PolicyAttachment.objects.select_related("policy"))


def _users(account):
    memberships = GroupMembership.objects.select_related("group")
    return (
        account.users.select_related("account", "permissions_boundary")
        .prefetch_related("inline_policies", "tags", _attachments(), Prefetch("memberships", queryset=memberships))
        .order_by("user_name_key")
    )


def _groups(account):
    return (
        account.groups.select_related("account")
        .prefetch_related("inline_policies", _attachments())
        .order_by("group_name_key")
    )


def _roles(account):
    profiles = InstanceProfile.objects.select_related("account").prefetch_related(
        Prefetch("roles", queryset=Role.objects.select_related("account"))
    )
    return (
        account.roles.select_related("account", "permissions_boundary")
        .prefetch_related(
            "inline_policies", "tags", _attachments(), Prefetch("instance_profiles", queryset=profiles)
        )
        .order_by("role_name_key")
    )


def _policies(account, wants):
    """Customer managed policies (all of them) and AWS managed ones this account uses —
    AWS leaves out the hundreds of AWS managed policies nobody in the account uses."""
    scopes = Q(pk__in=[])
    if "LocalManagedPolicy" in wants:
        scopes |= Q(account=account)
    if "AWSManagedPolicy" in wants:
        scopes |= Q(account__isnull=True)
    policies = with_usage(ManagedPolicy.objects.filter(scopes), account).prefetch_related("versions")
    used = Q(account__isnull=False) | Q(attachment_count__gt=0) | Q(user_boundary_count__gt=0)
    used |= Q(role_boundary_count__gt=0)
    return policies.filter(used).order_by("policy_name_key", "arn")


KINDS = (
    ("User", "UserDetailList", _users, _user_detail),
    ("Group", "GroupDetailList", _groups, _group_detail),
    ("Role", "RoleDetailList", _roles, _role_detail),
)


@operation("iam:GetAccountAuthorizationDetails", read_only=True)
def get_account_authorization_details(ctx, filter=None, max_items=None, marker=None):  # AWS's member: Filter
    """GetAccountAuthorizationDetails: users, then groups, roles and managed policies,
    paged as one sequence."""
    constraints = Constraints()
    for index, value in enumerate(filter or [], start=1):
        constraints.enum(f"filter.{index}.member", value, ENTITY_TYPES)
    constraints.check()
    wants = set(filter or ENTITY_TYPES)
    account = account_of(ctx)
    items = []
    for kind, _, entities, _ in KINDS:
        if kind in wants:
            items += [(kind, entity) for entity in entities(account)]
    if wants & {"LocalManagedPolicy", "AWSManagedPolicy"}:
        items += [("Policy", policy) for policy in _policies(account, wants)]
    page = paginate(items, marker, max_items, "Items")
    response = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    shapes = {kind: (key, shape) for kind, key, _, shape in KINDS}
    shapes["Policy"] = ("Policies", _policy_detail)
    for kind, entity in page.pop("Items"):
        key, shape = shapes[kind]
        response[key].append(shape(entity))
    return {**response, **page}
