"""Forms of the Policies pages. They check shape only; the policy grammar, its size and
the account's quotas are judged by CreatePolicy and CreatePolicyVersion, whose AWS
messages ("Syntax errors in policy.") the pages show under the editor."""

import json

from django import forms

from iam.forms_groups import NAME_MAX

DESCRIPTION_MAX = 1000

# What the console's JSON editor starts with.
EMPTY_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Sid": "Statement1", "Effect": "Allow", "Action": [], "Resource": []}]},
    indent=4,
)


def _document_field(label="Policy editor"):
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 20, "spellcheck": "false", "data-policy-editor": ""}),
        error_messages={"required": "Enter a policy document."},
    )


class CreatePolicyForm(forms.Form):
    policy_document = _document_field()
    policy_name = forms.CharField(
        label="Policy name",
        max_length=NAME_MAX,
        error_messages={
            "required": "Enter a policy name.",
            "max_length": f"The policy name can have up to {NAME_MAX} characters.",
        },
    )
    description = forms.CharField(
        label="Description - optional",
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": f"The description can have up to {DESCRIPTION_MAX:,} characters."},
    )


class EditPolicyForm(forms.Form):
    policy_document = _document_field()


class DeletePolicyForm(forms.Form):
    confirm = forms.CharField(label="To confirm deletion, enter the policy name in the text input field.", max_length=NAME_MAX)


class VersionForm(forms.Form):
    """Policy versions tab: set a version as default, or delete versions."""

    operation = forms.ChoiceField(choices=[("set-default", "Set as default"), ("delete", "Delete")])
    versions = forms.MultipleChoiceField(error_messages={"required": "Select a version."})

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["versions"].choices = [(v["VersionId"], v["VersionId"]) for v in versions]

    def clean(self):
        data = super().clean()
        if data.get("operation") == "set-default" and len(data.get("versions") or []) > 1:
            self.add_error("versions", "Select one version to set as default.")
        return data
