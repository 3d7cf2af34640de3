from django.db import models

from iam.models import Account, Role, User


class Session(models.Model):
    """Temporary security credentials (an ``ASIA`` access key, its secret and a session
    token) from GetSessionToken (an IAM user's or root's session) or AssumeRole (a role
    session). The secret is stored encrypted and the token only as a SHA-256 hash."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sts_sessions")
    access_key_id = models.CharField(max_length=20, unique=True)
    secret_encrypted = models.TextField()
    session_token_sha256 = models.CharField(max_length=64)
    create_date = models.DateTimeField()
    expiration = models.DateTimeField()
    # GetSessionToken: the IAM user (None with ``role`` None means the root user).
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="sts_sessions")
    # AssumeRole: the role and the session name; the caller's ARN as the source identity.
    role = models.ForeignKey(Role, on_delete=models.CASCADE, null=True, blank=True, related_name="sessions")
    role_session_name = models.CharField(max_length=64, blank=True)
    source_arn = models.CharField(max_length=2048, blank=True)
    # Session policies narrowing a role session: an inline document and managed policy ARNs.
    session_policy = models.TextField(blank=True)
    session_policy_arns = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    mfa_authenticated = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["expiration"])]

    def secret_access_key(self):
        from iam import crypto

        return crypto.decrypt(self.secret_encrypted, self.access_key_id)

    @property
    def assumed_role_arn(self):
        return f"arn:aws:sts::{self.account.account_id}:assumed-role/{self.role.role_name}/{self.role_session_name}"
