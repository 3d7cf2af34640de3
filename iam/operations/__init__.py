"""IAM actions, one function each, named after the AWS action.

The model: an Account (12-digit ID, optional alias, root user, optional custom
PasswordPolicy — without one AWS's default applies) owns IAM Users, Groups, Roles and
customer managed policies. A User may have a LoginProfile (console password, earlier
hashes kept in PasswordHistory), belong to up to 10 Groups, and carry tags. A Role has
a trust policy (AssumeRolePolicyDocument) saying who may assume it. A ManagedPolicy
(customer managed in an account, or AWS managed — shared, read-only, ARN
``arn:aws:iam::aws:policy/...``) has up to five PolicyVersions, one of them the default;
it is attached (PolicyAttachment) to up to 10 per user, group or role, and may serve as
a user's or role's permissions boundary. Users, groups and roles also embed
InlinePolicies. ``iam.effective`` gathers what applies to a principal.

Every function takes the request context and AWS's parameters in snake_case, raises
``awsapi.errors`` exceptions, and returns AWS's response shape. The dispatcher
authorizes, wraps it in a transaction and records it. Modules: ``account`` (password
policy, alias), ``users``, ``groups``, ``roles``, ``policies`` (managed policies and
versions), ``attachments`` (attached, inline and boundary policies of an entity),
``instance_profiles`` (an InstanceProfile hands at most one role to EC2 instances),
``mfa`` (virtual MFADevices: created free, enabled for a user or the root user with two
consecutive codes) and ``account_summary`` (GetAccountSummary,
GetAccountAuthorizationDetails).
"""

from iam.models import PasswordPolicy  # noqa: F401  (tests patch iam.operations.PasswordPolicy)
from iam.operations.access_keys import (  # noqa: F401
    create_access_key,
    delete_access_key,
    get_access_key_last_used,
    list_access_keys,
    update_access_key,
)
from iam.operations.account import (  # noqa: F401
    create_account_alias,
    delete_account_alias,
    delete_account_password_policy,
    enforce_password_policy,
    get_account_password_policy,
    list_account_aliases,
    password_expired,
    password_policy_shape,
    password_problems,
    update_account_password_policy,
    validate_account_alias,
)
from iam.operations.account_summary import get_account_authorization_details, get_account_summary  # noqa: F401
from iam.operations.attachments import (  # noqa: F401
    attach_group_policy,
    attach_role_policy,
    attach_user_policy,
    delete_group_policy,
    delete_role_permissions_boundary,
    delete_role_policy,
    delete_user_permissions_boundary,
    delete_user_policy,
    detach_group_policy,
    detach_role_policy,
    detach_user_policy,
    get_group_policy,
    get_role_policy,
    get_user_policy,
    list_attached_group_policies,
    list_attached_role_policies,
    list_attached_user_policies,
    list_group_policies,
    list_role_policies,
    list_user_policies,
    put_group_policy,
    put_role_permissions_boundary,
    put_role_policy,
    put_user_permissions_boundary,
    put_user_policy,
)
from iam.operations.common import (  # noqa: F401
    GROUPS_PER_ACCOUNT,
    GROUPS_PER_USER,
    MANAGED_POLICIES_PER_ENTITY,
    POLICIES_PER_ACCOUNT,
    ROLES_PER_ACCOUNT,
    USERS_PER_ACCOUNT,
    VERSIONS_PER_POLICY,
)
from iam.operations.groups import (  # noqa: F401
    add_user_to_group,
    create_group,
    delete_group,
    get_group,
    group_shape,
    list_groups,
    list_groups_for_user,
    remove_user_from_group,
    update_group,
)
from iam.operations.instance_profiles import (  # noqa: F401
    INSTANCE_PROFILES_PER_ACCOUNT,
    ROLES_PER_INSTANCE_PROFILE,
    add_role_to_instance_profile,
    create_instance_profile,
    delete_instance_profile,
    get_instance_profile,
    instance_profile_shape,
    list_instance_profile_tags,
    list_instance_profiles,
    list_instance_profiles_for_role,
    remove_role_from_instance_profile,
    tag_instance_profile,
    untag_instance_profile,
)
from iam.operations.mfa import (  # noqa: F401
    MFA_DEVICES_PER_USER,
    create_virtual_mfa_device,
    deactivate_mfa_device,
    delete_virtual_mfa_device,
    enable_mfa_device,
    get_mfa_device,
    list_mfa_device_tags,
    list_mfa_devices,
    list_virtual_mfa_devices,
    resync_mfa_device,
    tag_mfa_device,
    untag_mfa_device,
)
from iam.operations.policies import (  # noqa: F401
    create_policy,
    create_policy_version,
    delete_policy,
    delete_policy_version,
    get_policy,
    get_policy_version,
    list_entities_for_policy,
    list_policies,
    list_policy_tags,
    list_policy_versions,
    policy_shape,
    set_default_policy_version,
    tag_policy,
    untag_policy,
    version_shape,
)
from iam.operations.roles import (  # noqa: F401
    create_role,
    delete_role,
    get_role,
    list_role_tags,
    list_roles,
    role_shape,
    tag_role,
    untag_role,
    update_assume_role_policy,
    update_role,
)
from iam.operations.simulate import simulate_custom_policy, simulate_principal_policy  # noqa: F401
from iam.operations.users import (  # noqa: F401
    change_password,
    create_login_profile,
    create_user,
    delete_login_profile,
    delete_user,
    get_login_profile,
    get_user,
    list_user_tags,
    list_users,
    tag_user,
    untag_user,
    update_login_profile,
    update_user,
    user_shape,
)
