"""Managed policies (customer managed and AWS managed) and their versions."""

from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from awsapi.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from awsapi.operation import operation
from console import clock
from iam import ids
from iam.models import ManagedPolicy, PolicyAttachment, PolicyVersion, Role, User
from iam.operations.common import (
    by_path_prefix,
    listing_resource,
    MANAGED_POLICY_SIZE,
    POLICY_PATH,
    VERSION_ID,
    account_of,
    apply_tags,
    check_arn,
    check_document,
    check_name,
    check_path,
    check_path_prefix,
    customer_policy,
    new_policy_resource,
    paginate,
    policy_at,
    policy_resource,
    quota,
    remove_tags,
    tags_shape,
    url_encoded,
    validate_policy_document,
    validate_tag_keys,
    validate_tags,
    validated,
)
from iam.validation import Constraints

SCOPES = ("All", "AWS", "Local")
USAGES = ("PermissionsPolicy", "PermissionsBoundary")
ENTITY_FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")


def _count(model, field, account, **filters):
    """A subquery counting ``model`` rows of ``account`` pointing at the outer policy."""
    rows = (
        model.objects.filter(**{field: OuterRef("pk")}, account=account, **filters)
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def with_usage(queryset, account):
    """Annotate each policy with its attachment and boundary counts in ``account`` (AWS
    managed policies are shared, but each account sees only its own use of them)."""
    return queryset.annotate(
        attachment_count=_count(PolicyAttachment, "policy", account),
        user_boundary_count=_count(User, "permissions_boundary", account),
        role_boundary_count=_count(Role, "permissions_boundary", account),
    )


def policy_shape(policy, details=False):
    """AWS's Policy structure; ``details`` adds the description and tags, which
    GetPolicy and CreatePolicy return and ListPolicies does not."""
    shape = {
        "PolicyName": policy.policy_name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version_id,
        "AttachmentCount": policy.attachment_count,
        "PermissionsBoundaryUsageCount": policy.user_boundary_count + policy.role_boundary_count,
        "IsAttachable": True,
        "CreateDate": policy.create_date,
        "UpdateDate": policy.update_date,
    }
    if details:
        if policy.description:
            shape["Description"] = policy.description
        if not policy.is_aws_managed:
            tags = tags_shape(policy.tags)
            if tags:
                shape["Tags"] = tags
    return shape


def version_shape(version, document=False):
    shape = {
        "VersionId": version.version_id,
        "IsDefaultVersion": version.is_default,
        "CreateDate": version.create_date,
    }
    if document:
        shape["Document"] = url_encoded(version.document)
    return shape


def _annotated(account, policy):
    return with_usage(ManagedPolicy.objects.filter(pk=policy.pk), account).get()


@operation("iam:CreatePolicy", resource=new_policy_resource)
def create_policy(ctx, policy_name=None, path=None, policy_document=None, description=None, tags=None):
    """CreatePolicy: a customer managed policy with its first version, v1."""
    path = "/" if path is None else path

    def checks(constraints):
        check_name(constraints, "policyName", policy_name, 128)
        check_path(constraints, "path", path, POLICY_PATH)
        check_document(constraints, "policyDocument", policy_document)
        constraints.length("description", description, 0, 1000)

    validated(checks)
    if tags:
        validate_tags(tags)
    account = account_of(ctx)
    if account.managed_policies.filter(policy_name_key=policy_name.lower()).exists():
        raise EntityAlreadyExists(f"A policy called {policy_name} already exists. Duplicate names are not allowed.")
    limit = quota("POLICIES_PER_ACCOUNT")
    if account.managed_policies.count() >= limit:
        raise LimitExceeded(f"Cannot exceed quota for PoliciesPerAccount: {limit}")
    validate_policy_document(policy_document, "identity", MANAGED_POLICY_SIZE, managed=True)
    now = clock.now()
    try:
        with transaction.atomic():
            policy = ManagedPolicy.objects.create(
                account=account,
                arn=f"arn:aws:iam::{account.account_id}:policy{path}{policy_name}",
                policy_name=policy_name,
                policy_id=ids.unique_id("ANPA"),
                path=path,
                description=description or "",
                create_date=now,
                update_date=now,
            )
    except IntegrityError:
        raise EntityAlreadyExists(
            f"A policy called {policy_name} already exists. Duplicate names are not allowed."
        ) from None
    PolicyVersion.objects.create(policy=policy, version_id="v1", document=policy_document, is_default=True, create_date=now)
    if tags:
        apply_tags(policy.tags, tags)
    return {"Policy": policy_shape(_annotated(account, policy), details=True)}


@operation("iam:GetPolicy", resource=policy_resource, read_only=True)
def get_policy(ctx, policy_arn=None):
    """GetPolicy."""
    account = account_of(ctx)
    policy = policy_at(account, policy_arn)
    return {"Policy": policy_shape(_annotated(account, policy), details=True)}


@operation("iam:ListPolicies", resource=listing_resource("policy"), read_only=True)
def list_policies(
    ctx, scope=None, only_attached=None, path_prefix=None, policy_usage_filter=None, marker=None, max_items=None
):
    """ListPolicies: AWS managed and customer managed, filtered."""
    constraints = Constraints()
    constraints.enum("scope", scope, SCOPES)
    constraints.enum("policyUsageFilter", policy_usage_filter, USAGES)
    constraints.length("pathPrefix", path_prefix, 1, 512)
    constraints.pattern("pathPrefix", path_prefix, POLICY_PATH)
    constraints.check()
    account = account_of(ctx)
    scopes = {
        "AWS": Q(account__isnull=True),
        "Local": Q(account=account),
    }
    queryset = ManagedPolicy.objects.filter(scopes.get(scope or "All", scopes["AWS"] | scopes["Local"]))
    queryset = by_path_prefix(queryset, path_prefix)
    queryset = with_usage(queryset, account).order_by("policy_name_key", "arn")
    if only_attached:
        if policy_usage_filter == "PermissionsBoundary":
            queryset = queryset.filter(Q(user_boundary_count__gt=0) | Q(role_boundary_count__gt=0))
        elif policy_usage_filter == "PermissionsPolicy":
            queryset = queryset.filter(attachment_count__gt=0)
        else:
            queryset = queryset.filter(
                Q(attachment_count__gt=0) | Q(user_boundary_count__gt=0) | Q(role_boundary_count__gt=0)
            )
    page = paginate(queryset, marker, max_items, "Policies")
    page["Policies"] = [policy_shape(policy) for policy in page["Policies"]]
    return page


@operation("iam:DeletePolicy", resource=policy_resource)
def delete_policy(ctx, policy_arn=None):
    """DeletePolicy: only when detached everywhere and down to its default version."""
    account = account_of(ctx)
    policy = customer_policy(ctx, account, policy_arn, "iam:DeletePolicy")
    in_use = (
        policy.attachments.exists() or policy.bounded_users.exists() or policy.bounded_roles.exists()
    )
    if in_use:
        raise DeleteConflict("Cannot delete a policy attached to entities.")
    if policy.versions.count() > 1:
        raise DeleteConflict(
            "This policy has more than one version. Before you delete a policy, you must delete "
            "the policy's versions. The default version is deleted with the policy."
        )
    policy.delete()
    return {}


def _check_version_id(version_id):
    constraints = Constraints()
    constraints.required("versionId", version_id)
    constraints.pattern("versionId", version_id, VERSION_ID)
    constraints.check()


def _version(policy, version_id):
    version = policy.versions.filter(version_id=version_id).first()
    if version is None:
        raise NoSuchEntity(f"Policy {policy.arn} version {version_id} does not exist or is not attachable.")
    return version


def _make_default(policy, version):
    policy.versions.exclude(pk=version.pk).update(is_default=False)
    version.is_default = True
    version.save(update_fields=["is_default"])
    policy.default_version_id = version.version_id
    policy.update_date = clock.now()
    policy.save(update_fields=["default_version_id", "update_date"])


@operation("iam:CreatePolicyVersion", resource=policy_resource)
def create_policy_version(ctx, policy_arn=None, policy_document=None, set_as_default=None):
    """CreatePolicyVersion: at most five versions per policy."""

    def checks(constraints):
        check_arn(constraints, "policyArn", policy_arn)
        check_document(constraints, "policyDocument", policy_document)

    validated(checks)
    account = account_of(ctx)
    policy = customer_policy(ctx, account, policy_arn, "iam:CreatePolicyVersion")
    limit = quota("VERSIONS_PER_POLICY")
    if policy.versions.count() >= limit:
        raise LimitExceeded(
            f"A managed policy can have up to {limit} versions. Before you create a new version, "
            "you must delete an existing version."
        )
    validate_policy_document(policy_document, "identity", MANAGED_POLICY_SIZE, managed=True)
    policy.latest_version += 1
    policy.save(update_fields=["latest_version"])
    version = PolicyVersion.objects.create(
        policy=policy,
        version_id=f"v{policy.latest_version}",
        document=policy_document,
        is_default=False,
        create_date=clock.now(),
    )
    if set_as_default:
        _make_default(policy, version)
    return {"PolicyVersion": version_shape(version)}


@operation("iam:GetPolicyVersion", resource=policy_resource, read_only=True)
def get_policy_version(ctx, policy_arn=None, version_id=None):
    """GetPolicyVersion: the document comes back URL-encoded, as from AWS."""
    _check_version_id(version_id)
    policy = policy_at(account_of(ctx), policy_arn)
    return {"PolicyVersion": version_shape(_version(policy, version_id), document=True)}


def _version_number(version):
    return int(version.version_id[1:].split(".")[0])


@operation("iam:ListPolicyVersions", resource=policy_resource, read_only=True)
def list_policy_versions(ctx, policy_arn=None, marker=None, max_items=None):
    """ListPolicyVersions: newest first, without documents."""
    policy = policy_at(account_of(ctx), policy_arn)
    versions = sorted(policy.versions.all(), key=_version_number, reverse=True)
    page = paginate(versions, marker, max_items, "Versions")
    page["Versions"] = [version_shape(version) for version in page["Versions"]]
    return page


@operation("iam:DeletePolicyVersion", resource=policy_resource)
def delete_policy_version(ctx, policy_arn=None, version_id=None):
    """DeletePolicyVersion: any version but the default."""
    _check_version_id(version_id)
    policy = customer_policy(ctx, account_of(ctx), policy_arn, "iam:DeletePolicyVersion")
    version = _version(policy, version_id)
    if version.is_default:
        raise DeleteConflict("Cannot delete the default version of a policy.")
    version.delete()
    return {}


@operation("iam:SetDefaultPolicyVersion", resource=policy_resource)
def set_default_policy_version(ctx, policy_arn=None, version_id=None):
    """SetDefaultPolicyVersion: the version that takes effect wherever it is attached."""
    _check_version_id(version_id)
    policy = customer_policy(ctx, account_of(ctx), policy_arn, "iam:SetDefaultPolicyVersion")
    _make_default(policy, _version(policy, version_id))
    return {}


@operation("iam:ListEntitiesForPolicy", resource=policy_resource, read_only=True)
def list_entities_for_policy(
    ctx, policy_arn=None, entity_filter=None, path_prefix=None, policy_usage_filter=None, marker=None, max_items=None
):
    """ListEntitiesForPolicy: the users, groups and roles of this account using it."""
    constraints = Constraints()
    constraints.enum("entityFilter", entity_filter, ENTITY_FILTERS)
    constraints.enum("policyUsageFilter", policy_usage_filter, USAGES)
    constraints.check()
    if path_prefix is not None:
        check_path_prefix(path_prefix)
    account = account_of(ctx)
    policy = policy_at(account, policy_arn)
    entities = []  # (kind, path, name, id)
    wants = {entity_filter} if entity_filter in ("User", "Role", "Group") else {"User", "Role", "Group"}
    if policy_usage_filter != "PermissionsBoundary":
        attachments = policy.attachments.filter(account=account).select_related("user", "group", "role")
        for attachment in attachments:
            if attachment.user_id and "User" in wants:
                entities.append(("User", attachment.user.path, attachment.user.user_name, attachment.user.user_id))
            elif attachment.group_id and "Group" in wants:
                entities.append(("Group", attachment.group.path, attachment.group.group_name, attachment.group.group_id))
            elif attachment.role_id and "Role" in wants:
                entities.append(("Role", attachment.role.path, attachment.role.role_name, attachment.role.role_id))
    if policy_usage_filter != "PermissionsPolicy":
        if "User" in wants:
            for user in policy.bounded_users.filter(account=account):
                entities.append(("User", user.path, user.user_name, user.user_id))
        if "Role" in wants:
            for role in policy.bounded_roles.filter(account=account):
                entities.append(("Role", role.path, role.role_name, role.role_id))
    if path_prefix:
        entities = [entity for entity in entities if entity[1].startswith(path_prefix)]
    entities = sorted(set(entities), key=lambda e: (e[0], e[2].lower()))
    page = paginate(entities, marker, max_items, "Entities")
    shaped = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": []}
    for kind, _, name, entity_id in page.pop("Entities"):
        shaped[f"Policy{kind}s"].append({f"{kind}Name": name, f"{kind}Id": entity_id})
    return {**shaped, **page}


# --- Tags ---------------------------------------------------------------------------


@operation("iam:TagPolicy", resource=policy_resource)
def tag_policy(ctx, policy_arn=None, tags=None):
    """TagPolicy: customer managed policies only."""
    validated(lambda c: check_arn(c, "policyArn", policy_arn))
    validate_tags(tags)
    policy = customer_policy(ctx, account_of(ctx), policy_arn, "iam:TagPolicy")
    apply_tags(policy.tags, tags)
    return {}


@operation("iam:UntagPolicy", resource=policy_resource)
def untag_policy(ctx, policy_arn=None, tag_keys=None):
    """UntagPolicy."""
    validated(lambda c: check_arn(c, "policyArn", policy_arn))
    validate_tag_keys(tag_keys)
    policy = customer_policy(ctx, account_of(ctx), policy_arn, "iam:UntagPolicy")
    remove_tags(policy.tags, tag_keys)
    return {}


@operation("iam:ListPolicyTags", resource=policy_resource, read_only=True)
def list_policy_tags(ctx, policy_arn=None, marker=None, max_items=None):
    """ListPolicyTags."""
    policy = policy_at(account_of(ctx), policy_arn)
    tags = [] if policy.is_aws_managed else tags_shape(policy.tags)
    return paginate(tags, marker, max_items, "Tags")
