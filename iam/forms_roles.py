"""Forms of the Roles pages. They check shape only and turn the "Select trusted entity"
choices into the trust policy the AWS console generates for them; the policy grammar,
names and quotas are judged by the operations, whose AWS messages the pages show."""

import json
import re

from django import forms

MAX_TAGS = 50
ACCOUNT_ID = re.compile(r"^\d{12}$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
SAML_PROVIDER_ARN = re.compile(r"^arn:aws:iam::\d{12}:saml-provider/[\w.-]{1,128}$")
SAML_CONSOLE_AUDIENCE = "https://signin.aws.amazon.com/saml"

# Use case -> (service principal, the description the console fills in).
USE_CASES = {
    "ec2": ("ec2.amazonaws.com", "Allows EC2 instances to call AWS services on your behalf."),
    "lambda": ("lambda.amazonaws.com", "Allows Lambda functions to call AWS services on your behalf."),
}
# Web identity provider -> the condition key its audience goes in.
WEB_IDENTITY_PROVIDERS = {
    "cognito-identity.amazonaws.com": ("Amazon Cognito", "cognito-identity.amazonaws.com:aud"),
    "www.amazon.com": ("Login with Amazon", "www.amazon.com:app_id"),
    "graph.facebook.com": ("Facebook", "graph.facebook.com:app_id"),
    "accounts.google.com": ("Google", "accounts.google.com:aud"),
}
CUSTOM_TRUST_TEMPLATE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Statement1", "Effect": "Allow", "Principal": {}, "Action": "sts:AssumeRole"}],
    },
    indent=4,
)
SESSION_HOURS = [(hours * 3600, f"{hours} hour" + ("" if hours == 1 else "s")) for hours in range(1, 13)]


def _document(statement):
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=4)


def service_trust_policy(service):
    """AWS service: the console lists the action and the service principal."""
    return _document({"Effect": "Allow", "Action": ["sts:AssumeRole"], "Principal": {"Service": [service]}})


def account_trust_policy(account_id, external_id=None, require_mfa=False):
    """AWS account: the console writes an empty Condition when no option is chosen."""
    condition = {}
    if external_id:
        condition["StringEquals"] = {"sts:ExternalId": external_id}
    if require_mfa:
        condition["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
    return _document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "sts:AssumeRole",
            "Condition": condition,
        }
    )


def web_identity_trust_policy(provider, audience):
    key = WEB_IDENTITY_PROVIDERS[provider][1]
    return _document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {key: audience}},
        }
    )


def saml_trust_policy(provider_arn, console_access=True, attribute=None, value=None):
    """SAML 2.0 federation: console access pins SAML:aud to AWS's sign-in endpoint."""
    condition = {}
    if console_access:
        condition = {"StringEquals": {"SAML:aud": SAML_CONSOLE_AUDIENCE}}
    elif attribute and value:
        condition = {"StringEquals": {attribute: value}}
    return _document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithSAML",
            "Condition": condition,
        }
    )


class CreateRoleForm(forms.Form):
    trusted_entity_type = forms.ChoiceField(
        label="Trusted entity type",
        choices=[
            ("aws_service", "AWS service"),
            ("aws_account", "AWS account"),
            ("web_identity", "Web identity"),
            ("saml", "SAML 2.0 federation"),
            ("custom", "Custom trust policy"),
        ],
        widget=forms.RadioSelect,
        initial="aws_service",
    )
    use_case = forms.ChoiceField(
        label="Service or use case",
        choices=[(key, "EC2" if key == "ec2" else "Lambda") for key in USE_CASES],
        required=False,
        initial="ec2",
    )
    account_option = forms.ChoiceField(
        label="An AWS account",
        choices=[("this", "This account"), ("other", "Another AWS account")],
        widget=forms.RadioSelect,
        initial="this",
        required=False,
    )
    other_account_id = forms.CharField(label="Account ID", required=False, max_length=12)
    require_external_id = forms.BooleanField(
        label="Require external ID (Best practice when a third party will assume this role)", required=False
    )
    external_id = forms.CharField(label="External ID", required=False, max_length=1224)
    require_mfa = forms.BooleanField(label="Require MFA", required=False)
    web_identity_provider = forms.ChoiceField(
        label="Identity provider",
        choices=[("", "Choose an identity provider")]
        + [(domain, name) for domain, (name, _) in WEB_IDENTITY_PROVIDERS.items()],
        required=False,
    )
    audience = forms.CharField(label="Audience", required=False, max_length=255)
    saml_provider = forms.CharField(
        label="SAML 2.0-based provider",
        required=False,
        max_length=2048,
        widget=forms.TextInput(attrs={"placeholder": "arn:aws:iam::111122223333:saml-provider/MyProvider"}),
    )
    saml_access = forms.ChoiceField(
        label="Access to be allowed",
        choices=[
            ("programmatic", "Allow programmatic access only"),
            ("console", "Allow programmatic and AWS Management Console access"),
        ],
        widget=forms.RadioSelect,
        initial="console",
        required=False,
    )
    saml_attribute = forms.ChoiceField(
        label="Attribute",
        choices=[("", "Choose an attribute")]
        + [(key, key) for key in ("SAML:aud", "SAML:iss", "SAML:sub", "SAML:sub_type", "SAML:eduPersonOrgDN")],
        required=False,
    )
    saml_value = forms.CharField(label="Value", required=False, max_length=1024)
    custom_trust_policy = forms.CharField(
        label="Custom trust policy",
        required=False,
        max_length=131072,
        strip=False,
        initial=CUSTOM_TRUST_TEMPLATE,
        widget=forms.Textarea(attrs={"rows": 18, "class": "code", "spellcheck": "false"}),
    )
    policies = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    permissions_boundary = forms.ChoiceField(required=False, label="Permissions boundary")
    role_name = forms.CharField(label="Role name", max_length=128)
    description = forms.CharField(
        label="Description", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    max_session_duration = forms.TypedChoiceField(
        label="Maximum session duration", choices=SESSION_HOURS, coerce=int, initial=3600
    )

    def __init__(self, *args, account_id="", policies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.account_id = account_id
        self.fields["account_option"].choices = [
            ("this", f"This account ({account_id})"),
            ("other", "Another AWS account"),
        ]
        policy_choices = [(p["Arn"], p["PolicyName"]) for p in policies]
        self.fields["policies"].choices = policy_choices
        no_boundary = [("", "Create role without a permissions boundary")]
        self.fields["permissions_boundary"].choices = no_boundary + policy_choices

    def clean(self):
        data = super().clean()
        kind = data.get("trusted_entity_type")
        data["trust_policy"] = None
        if kind == "aws_service":
            data["trust_policy"] = self._service(data)
        elif kind == "aws_account":
            data["trust_policy"] = self._account(data)
        elif kind == "web_identity":
            data["trust_policy"] = self._web_identity(data)
        elif kind == "saml":
            data["trust_policy"] = self._saml(data)
        elif kind == "custom":
            if not (data.get("custom_trust_policy") or "").strip():
                self.add_error("custom_trust_policy", "Enter a trust policy.")
            data["trust_policy"] = data.get("custom_trust_policy")
        keys = self.data.getlist("tag_key") if hasattr(self.data, "getlist") else []
        values = self.data.getlist("tag_value") if hasattr(self.data, "getlist") else []
        tags = [{"Key": k.strip(), "Value": v} for k, v in zip(keys, values) if k.strip()]
        if len(tags) > MAX_TAGS:
            self.add_error(None, f"You can add up to {MAX_TAGS} tags.")
        data["tags"] = tags
        return data

    def _service(self, data):
        use_case = data.get("use_case") or "ec2"
        if use_case not in USE_CASES:
            self.add_error("use_case", "Choose a use case.")
            return None
        service, description = USE_CASES[use_case]
        if not data.get("description"):
            data["description"] = description
        return service_trust_policy(service)

    def _account(self, data):
        account_id = self.account_id
        if data.get("account_option") == "other":
            account_id = (data.get("other_account_id") or "").strip()
            if not ACCOUNT_ID.match(account_id):
                self.add_error("other_account_id", "Account ID must be 12 digits.")
                return None
        external_id = None
        if data.get("require_external_id"):
            external_id = (data.get("external_id") or "").strip()
            if not EXTERNAL_ID.match(external_id):
                self.add_error(
                    "external_id",
                    "External ID must be 2 to 1224 characters: A-Z, a-z, 0-9, and + = , . @ : / -",
                )
                return None
        return account_trust_policy(account_id, external_id, data.get("require_mfa"))

    def _web_identity(self, data):
        provider = data.get("web_identity_provider")
        audience = (data.get("audience") or "").strip()
        if not provider:
            self.add_error("web_identity_provider", "Choose an identity provider.")
        if not audience:
            self.add_error("audience", "Enter an audience.")
        if not provider or not audience:
            return None
        return web_identity_trust_policy(provider, audience)

    def _saml(self, data):
        provider = (data.get("saml_provider") or "").strip()
        if not SAML_PROVIDER_ARN.match(provider):
            self.add_error(
                "saml_provider", "Enter the ARN of a SAML 2.0 provider (arn:aws:iam::<account>:saml-provider/<name>)."
            )
            return None
        console = data.get("saml_access") != "programmatic"
        return saml_trust_policy(provider, console, data.get("saml_attribute"), (data.get("saml_value") or "").strip())


class TrustPolicyForm(forms.Form):
    policy_document = forms.CharField(
        label="Trust policy",
        max_length=131072,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 20, "class": "code", "spellcheck": "false"}),
    )


class InlinePolicyForm(forms.Form):
    policy_name = forms.CharField(label="Policy name", max_length=128)
    policy_document = forms.CharField(
        label="Policy editor",
        max_length=131072,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "class": "code", "spellcheck": "false"}),
    )


class AttachPolicyForm(forms.Form):
    policies = forms.MultipleChoiceField(label="Other permissions policies", widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, policies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policies"].choices = [(p["Arn"], p["PolicyName"]) for p in policies]


class TagForm(forms.Form):
    key = forms.CharField(label="Key", max_length=128)
    value = forms.CharField(label="Value - optional", max_length=256, required=False)


class DeleteRoleForm(forms.Form):
    confirm = forms.CharField(label="To confirm deletion, enter the role name in the text input field.", max_length=128)
