"""Forms of the User groups pages. They check shape only; names, quotas and policy
documents are judged by the operations, whose AWS messages the pages show."""

from django import forms

NAME_MAX = 128  # GroupName and PolicyName: "Maximum 128 characters" (the API's limit too)


def _names(label):
    return {"required": f"Enter a {label}.", "max_length": f"The {label} can have up to {NAME_MAX} characters."}


class CreateGroupForm(forms.Form):
    group_name = forms.CharField(label="User group name", max_length=NAME_MAX, error_messages=_names("user group name"))
    users = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    policies = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, users=(), policies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].choices = [(u["UserName"], u["UserName"]) for u in users]
        self.fields["policies"].choices = [(p["Arn"], p["PolicyName"]) for p in policies]


class ChooseUsersForm(forms.Form):
    """Add users to a group, or remove them: the ticked user names."""

    users = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, error_messages={"required": "Select at least one user."}
    )

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].choices = [(name, name) for name in users]


class ChoosePoliciesForm(forms.Form):
    """Attach policies to a group, or detach them: the ticked policy ARNs."""

    policies = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, error_messages={"required": "Select at least one policy."}
    )

    def __init__(self, *args, policies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policies"].choices = [(p["Arn"], p["PolicyName"]) for p in policies]


class InlinePolicyForm(forms.Form):
    policy_name = forms.CharField(label="Policy name", max_length=NAME_MAX, error_messages=_names("policy name"))
    policy_document = forms.CharField(
        label="Policy editor", strip=False, widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false"}),
        error_messages={"required": "Enter a policy document."},
    )


class DeleteGroupForm(forms.Form):
    confirm = forms.CharField(
        label="To confirm deletion, enter the user group name in the text input field.", max_length=NAME_MAX
    )
