from django.db import models
from django.db.models import Q

from iam import arns


class Account(models.Model):
    """An AWS account: 12-digit ID, optional alias, and its root user's credentials."""

    account_id = models.CharField(max_length=12, unique=True)
    alias = models.CharField(max_length=63, unique=True, null=True, blank=True)
    # Stored lowercased so uniqueness and sign-in ignore case, as AWS does for emails.
    root_email = models.CharField(max_length=254, unique=True)
    root_password = models.CharField(max_length=255)
    root_password_last_used = models.DateTimeField(null=True, blank=True)
    create_date = models.DateTimeField()

    def __str__(self):
        return self.account_id

    @property
    def root_arn(self):
        return arns.root_arn(self.account_id)


class User(models.Model):
    """An IAM user. Names are unique per account ignoring case, as in IAM."""

    # No index of its own: the unique (account, user_name_key) index leads with it, and
    # every index is one more page that each CreateUser writes to the WAL.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="users", db_index=False)
    user_name = models.CharField(max_length=64)
    # user_name lowercased: the indexed key for case-insensitive lookups and uniqueness.
    user_name_key = models.CharField(max_length=64, editable=False)
    user_id = models.CharField(max_length=21, unique=True)
    path = models.CharField(max_length=512, default="/")
    create_date = models.DateTimeField()
    password_last_used = models.DateTimeField(null=True, blank=True)
    # A managed policy capping what the user's identity policies can grant.
    permissions_boundary = models.ForeignKey(
        "ManagedPolicy", on_delete=models.PROTECT, null=True, blank=True, related_name="bounded_users",
        db_index=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "user_name_key"], name="iam_user_name_unique_in_account")
        ]
        # Users with a boundary only: most have none, and a new user without one then
        # writes no page of this index.
        indexes = [
            models.Index(fields=["permissions_boundary"], name="iam_user_boundary",
                         condition=models.Q(permissions_boundary__isnull=False)),
        ]

    def save(self, *args, **kwargs):
        self.user_name_key = self.user_name.lower()
        super().save(*args, **kwargs)

    def __str__(self):
        return self.user_name

    @property
    def arn(self):
        return arns.user_arn(self.account.account_id, self.path, self.user_name)


class UserCount(models.Model):
    """How many users an account has, kept by triggers on iam_user (migration 0007) so
    that no code path can miss it: CreateUser checks the quota of 5,000 users by reading
    this row, where counting the account's users walked up to 5,000 index entries while
    every other writer waited. A later migration that makes SQLite rebuild iam_user drops
    its triggers with the old table: it must create them again (test_user_quota fails
    without them)."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, primary_key=True, related_name="+")
    users = models.IntegerField(default=0)


class LoginProfile(models.Model):
    """An IAM user's console password. No row means console access is disabled."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="login_profile")
    password = models.CharField(max_length=255)
    password_reset_required = models.BooleanField(default=False)
    create_date = models.DateTimeField()
    # When the current password was set: expiry (MaxPasswordAge) counts from here.
    password_changed = models.DateTimeField()


class PasswordHistory(models.Model):
    """Hashes of an IAM user's earlier passwords, for PasswordReusePrevention."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=255)
    create_date = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "-create_date"])]


class PasswordPolicy(models.Model):
    """The account's custom password policy. No row means AWS's default policy applies."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="password_policy")
    minimum_password_length = models.PositiveSmallIntegerField(default=6)
    require_symbols = models.BooleanField(default=False)
    require_numbers = models.BooleanField(default=False)
    require_uppercase_characters = models.BooleanField(default=False)
    require_lowercase_characters = models.BooleanField(default=False)
    allow_users_to_change_password = models.BooleanField(default=False)
    max_password_age = models.PositiveSmallIntegerField(null=True, blank=True)
    password_reuse_prevention = models.PositiveSmallIntegerField(null=True, blank=True)
    hard_expiry = models.BooleanField(default=False)

    @property
    def expire_passwords(self):
        return bool(self.max_password_age)


class Group(models.Model):
    """An IAM group: a set of users sharing its policies. Names are unique per account
    ignoring case."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="groups")
    group_name = models.CharField(max_length=128)
    group_name_key = models.CharField(max_length=128, editable=False)
    group_id = models.CharField(max_length=21, unique=True)
    path = models.CharField(max_length=512, default="/")
    create_date = models.DateTimeField()
    users = models.ManyToManyField(User, through="GroupMembership", related_name="groups")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "group_name_key"], name="iam_group_name_unique_in_account")
        ]

    def save(self, *args, **kwargs):
        self.group_name_key = self.group_name.lower()
        super().save(*args, **kwargs)

    def __str__(self):
        return self.group_name

    @property
    def arn(self):
        return f"arn:aws:iam::{self.account.account_id}:group{self.path}{self.group_name}"


class GroupMembership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="iam_membership_unique")]


class ManagedPolicy(models.Model):
    """A managed policy: customer managed (in an account) or AWS managed (``account`` is
    null, ARN ``arn:aws:iam::aws:policy/...``, read-only, shared by every account)."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="managed_policies"
    )
    arn = models.CharField(max_length=2048, unique=True)
    policy_name = models.CharField(max_length=128)
    policy_name_key = models.CharField(max_length=128, editable=False)
    policy_id = models.CharField(max_length=21, unique=True)
    path = models.CharField(max_length=512, default="/")
    description = models.CharField(max_length=1000, blank=True, default="")
    default_version_id = models.CharField(max_length=32, default="v1")
    # Version IDs are never reused: the next one is v(latest_version + 1).
    latest_version = models.PositiveIntegerField(default=1)
    create_date = models.DateTimeField()
    update_date = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "policy_name_key"], name="iam_policy_name_unique_in_account"
            )
        ]

    def save(self, *args, **kwargs):
        self.policy_name_key = self.policy_name.lower()
        super().save(*args, **kwargs)

    def __str__(self):
        return self.arn

    @property
    def is_aws_managed(self):
        return self.account_id is None


class PolicyVersion(models.Model):
    """One version (v1..vN) of a managed policy; exactly one is the default."""

    policy = models.ForeignKey(ManagedPolicy, on_delete=models.CASCADE, related_name="versions")
    version_id = models.CharField(max_length=32)
    document = models.TextField()
    is_default = models.BooleanField(default=False)
    create_date = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["policy", "version_id"], name="iam_policy_version_unique")
        ]


class Role(models.Model):
    """An IAM role: an identity with a trust policy saying who may assume it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="roles")
    role_name = models.CharField(max_length=64)
    role_name_key = models.CharField(max_length=64, editable=False)
    role_id = models.CharField(max_length=21, unique=True)
    path = models.CharField(max_length=512, default="/")
    description = models.CharField(max_length=1000, blank=True, default="")
    assume_role_policy_document = models.TextField()
    max_session_duration = models.PositiveIntegerField(default=3600)
    create_date = models.DateTimeField()
    permissions_boundary = models.ForeignKey(
        ManagedPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="bounded_roles"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "role_name_key"], name="iam_role_name_unique_in_account")
        ]

    def save(self, *args, **kwargs):
        self.role_name_key = self.role_name.lower()
        super().save(*args, **kwargs)

    def __str__(self):
        return self.role_name

    @property
    def arn(self):
        return arns.role_arn(self.account.account_id, self.path, self.role_name)


def _exactly_one_of(*fields):
    """A check that exactly one of the nullable foreign keys is set."""
    choices = Q()
    for field in fields:
        only = Q(**{f"{field}__isnull": False})
        for other in fields:
            if other != field:
                only &= Q(**{f"{other}__isnull": True})
        choices |= only
    return choices


class PolicyAttachment(models.Model):
    """A managed policy attached to one user, group or role of ``account``."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="policy_attachments")
    policy = models.ForeignKey(ManagedPolicy, on_delete=models.CASCADE, related_name="attachments")
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=_exactly_one_of("user", "group", "role"), name="iam_attachment_one_entity"),
            models.UniqueConstraint(fields=["policy", "user"], name="iam_attachment_user_unique"),
            models.UniqueConstraint(fields=["policy", "group"], name="iam_attachment_group_unique"),
            models.UniqueConstraint(fields=["policy", "role"], name="iam_attachment_role_unique"),
        ]


class InlinePolicy(models.Model):
    """A policy embedded in one user, group or role; it lives and dies with it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="inline_policies")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True, related_name="inline_policies")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, null=True, blank=True, related_name="inline_policies")
    policy_name = models.CharField(max_length=128)
    policy_document = models.TextField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=_exactly_one_of("user", "group", "role"), name="iam_inline_one_entity"),
            models.UniqueConstraint(fields=["user", "policy_name"], name="iam_inline_user_unique"),
            models.UniqueConstraint(fields=["group", "policy_name"], name="iam_inline_group_unique"),
            models.UniqueConstraint(fields=["role", "policy_name"], name="iam_inline_role_unique"),
        ]


class Tag(models.Model):
    """A key/value tag on a user, role or customer managed policy."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="tags")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, null=True, blank=True, related_name="tags")
    policy = models.ForeignKey(ManagedPolicy, on_delete=models.CASCADE, null=True, blank=True, related_name="tags")
    key = models.CharField(max_length=128)
    value = models.CharField(max_length=256, blank=True, default="")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=_exactly_one_of("user", "role", "policy"), name="iam_tag_one_entity"),
            models.UniqueConstraint(fields=["user", "key"], name="iam_tag_user_unique"),
            models.UniqueConstraint(fields=["role", "key"], name="iam_tag_role_unique"),
            models.UniqueConstraint(fields=["policy", "key"], name="iam_tag_policy_unique"),
        ]


class AccessKey(models.Model):
    """A long-term access key of an IAM user, or of the root user (``user`` null).

    The secret is stored encrypted (iam.crypto), because SigV4 verification needs it in
    plaintext; it is shown once at creation and never again."""

    ACTIVE = "Active"
    INACTIVE = "Inactive"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="access_keys")
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="access_keys")
    access_key_id = models.CharField(max_length=20, unique=True)
    secret_encrypted = models.TextField()
    status = models.CharField(max_length=8, default=ACTIVE)
    create_date = models.DateTimeField()
    last_used_date = models.DateTimeField(null=True, blank=True)
    last_used_service = models.CharField(max_length=64, blank=True)
    last_used_region = models.CharField(max_length=32, blank=True)

    def secret_access_key(self):
        from iam import crypto

        return crypto.decrypt(self.secret_encrypted, self.access_key_id)


class InstanceProfile(models.Model):
    """An instance profile: the container that passes a role to an EC2 instance. Names
    are unique per account ignoring case; AWS allows at most one role in a profile."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="instance_profiles")
    instance_profile_name = models.CharField(max_length=128)
    instance_profile_name_key = models.CharField(max_length=128, editable=False)
    instance_profile_id = models.CharField(max_length=21, unique=True)
    path = models.CharField(max_length=512, default="/")
    create_date = models.DateTimeField()
    roles = models.ManyToManyField(Role, blank=True, related_name="instance_profiles")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "instance_profile_name_key"], name="iam_instance_profile_name_unique_in_account"
            )
        ]

    def save(self, *args, **kwargs):
        self.instance_profile_name_key = self.instance_profile_name.lower()
        super().save(*args, **kwargs)

    def __str__(self):
        return self.instance_profile_name

    @property
    def arn(self):
        return f"arn:aws:iam::{self.account.account_id}:instance-profile{self.path}{self.instance_profile_name}"


class InstanceProfileTag(models.Model):
    """A key/value tag on an instance profile (kept apart from ``Tag``, whose check
    constraint names the entities it may belong to)."""

    instance_profile = models.ForeignKey(InstanceProfile, on_delete=models.CASCADE, related_name="tags")
    key = models.CharField(max_length=128)
    value = models.CharField(max_length=256, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instance_profile", "key"], name="iam_tag_instance_profile_unique")
        ]


class MFADevice(models.Model):
    """A virtual MFA device (an authenticator app's TOTP seed), identified by its serial
    number ``arn:aws:iam::<account>:mfa<path><name>``.

    CreateVirtualMFADevice makes it unassigned (``enable_date`` null, ``user`` null);
    EnableMFADevice assigns it to a user, or to the root user (``user`` stays null).
    The seed is stored encrypted (iam.crypto, bound to the serial number) because TOTP
    needs it in plaintext; it is shown only at creation. ``last_used_step`` is the
    30-second step of the last accepted code (no code is accepted twice) and ``drift``
    the steps ResyncMFADevice measured between the device's clock and ours."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="mfa_devices")
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="mfa_devices")
    serial_number = models.CharField(max_length=256, unique=True)
    virtual_mfa_device_name = models.CharField(max_length=226)
    path = models.CharField(max_length=512, default="/")
    seed_encrypted = models.TextField()
    enable_date = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(default=0)
    drift = models.SmallIntegerField(default=0)
    create_date = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["account", "user", "enable_date"])]

    def __str__(self):
        return self.serial_number

    @property
    def enabled(self):
        return self.enable_date is not None

    def seed(self):
        from iam import crypto

        return crypto.decrypt(self.seed_encrypted, self.serial_number)


class MFAFailure(models.Model):
    """One failed code for a device: iam.mfa refuses further codes after too many
    failures in a window (like console.models.SignInFailure for passwords)."""

    device = models.ForeignKey(MFADevice, on_delete=models.CASCADE, related_name="failures")
    create_date = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["device", "create_date"])]


class MFADeviceTag(models.Model):
    """A key/value tag on a virtual MFA device (its own table, as InstanceProfileTag)."""

    device = models.ForeignKey(MFADevice, on_delete=models.CASCADE, related_name="tags")
    key = models.CharField(max_length=128)
    value = models.CharField(max_length=256, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "key"], name="iam_tag_mfa_device_unique")]


class SecurityKey(models.Model):
    """The FIDO2/WebAuthn credential of an MFA device of type "Passkey or security key"
    (AWS's U2F/FIDO device, serial ``arn:aws:iam::<account>:u2f/...``). The device row
    carries the owner, serial and dates, so ListMFADevices, DeactivateMFADevice and the
    quota treat both kinds alike; its seed is random and never shown, so no TOTP code
    ever matches it. ``sign_count`` is the authenticator's counter: each assertion must
    bring a larger one (a cloned key shows up as a counter that does not increase)."""

    device = models.OneToOneField(MFADevice, on_delete=models.CASCADE, related_name="security_key")
    credential_id = models.CharField(max_length=1400)  # base64url, as WebAuthn's JSON carries it
    public_key = models.BinaryField()  # COSE_Key
    sign_count = models.BigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
