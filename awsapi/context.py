"""Who is calling and from where: what every operation, authorization decision and
trail event needs to know about a request, whichever door it came through."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Principal:
    type: str  # CloudTrail's userIdentity.type: "Root", "IAMUser", "AssumedRole", "AWSAccount"
    account_id: str
    arn: str
    principal_id: str  # the account ID for root, the user's unique ID (AIDA...) for a user
    user_name: str = ""
    user_pk: int | None = None
    # A role session (type "AssumedRole"): the role and the session's name.
    role_pk: int | None = None
    session_name: str = ""
    # CloudTrail's sessionContext.sessionIssuer for a role session: the role.
    issuer_arn: str = ""
    issuer_principal_id: str = ""
    issuer_name: str = ""
    # Temporary credentials (GetSessionToken or AssumeRole) the request was signed with.
    session_pk: int | None = None
    # The account's row, where finding the credentials found it too: an operation that
    # only needs its key then runs no query for it (iam/operations/common.py account_ref).
    account_pk: int | None = None

    @property
    def is_root(self):
        return self.type == "Root"

    @property
    def is_role_session(self):
        return self.type == "AssumedRole"

    @property
    def is_anonymous(self):
        return self.account_id == ANONYMOUS_ACCOUNT


# An unsigned S3 request: CloudTrail's identity for it is an "AWSAccount" whose
# accountId is "anonymous"; only a bucket policy or ACL open to everyone lets it in.
ANONYMOUS_ACCOUNT = "anonymous"
ANONYMOUS = Principal(type="AWSAccount", account_id=ANONYMOUS_ACCOUNT, arn="", principal_id="")


@dataclass(frozen=True)
class RequestContext:
    principal: Principal
    source_ip: str
    user_agent: str = ""
    region: str = "us-east-1"
    via_console: bool = True
    mfa_authenticated: bool = False
    session_issued: datetime | None = None
    # When the second factor was checked (console sign-in with MFA); aws:MultiFactorAuthAge
    # counts from here. None: from session_issued.
    mfa_time: datetime | None = None
    access_key_id: str = ""
    secure_transport: bool = False
    # Set for the forced "Change password" step after signing in with a password that
    # must be reset or has expired: AWS lets that user change it without a policy.
    password_change_required: bool = False
    # CloudTrail's requestID: the API door passes the x-amzn-RequestId it answers with;
    # a console action gets its own.
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
