from django.db import models

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

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="users")
    user_name = models.CharField(max_length=64)
    # user_name lowercased: the indexed key for case-insensitive lookups and uniqueness.
    user_name_key = models.CharField(max_length=64, editable=False)
    user_id = models.CharField(max_length=21, unique=True)
    path = models.CharField(max_length=512, default="/")
    create_date = models.DateTimeField()
    password_last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "user_name_key"], name="iam_user_name_unique_in_account")
        ]

    def save(self, *args, **kwargs):
        self.user_name_key = self.user_name.lower()
        super().save(*args, **kwargs)

    def __str__(self):
        return self.user_name

    @property
    def arn(self):
        return arns.user_arn(self.account.account_id, self.path, self.user_name)


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
