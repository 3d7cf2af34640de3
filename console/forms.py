"""Console forms check shape only; the rules live in operations and console.signin."""

from django import forms

ACCOUNT_LABEL = "Account ID (12 digits) or account alias"


class SignInChooserForm(forms.Form):
    user_type = forms.ChoiceField(
        choices=[("root", "Root user"), ("iam", "IAM user")], widget=forms.RadioSelect, initial="root"
    )
    email = forms.CharField(
        label="Root user email address",
        required=False,
        max_length=320,
        widget=forms.EmailInput(attrs={"autocomplete": "username"}),
    )
    account = forms.CharField(label=ACCOUNT_LABEL, required=False, max_length=320)

    def clean(self):
        data = super().clean()
        if data.get("user_type") == "root" and not data.get("email"):
            self.add_error("email", "Enter your root user email address.")
        if data.get("user_type") == "iam" and not data.get("account"):
            self.add_error("account", "Enter your account ID or account alias.")
        return data


# No max_length on sign-in fields: an oversized value is a failed attempt like any
# other (same message, same work, one ConsoleLogin event), decided in console.signin.
class RootSignInForm(forms.Form):
    email = forms.CharField(widget=forms.HiddenInput)
    password = forms.CharField(widget=forms.PasswordInput(render_value=False), strip=False)


class IAMUserSignInForm(forms.Form):
    account = forms.CharField(label=ACCOUNT_LABEL)
    username = forms.CharField(label="IAM username")
    password = forms.CharField(widget=forms.PasswordInput(render_value=False), strip=False)


class ChangePasswordForm(forms.Form):
    old_password = forms.CharField(
        label="Old password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}), strip=False
    )
    new_password = forms.CharField(
        label="New password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )
    confirm_password = forms.CharField(
        label="Retype new password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("confirm_password"):
            self.add_error("confirm_password", "The new passwords do not match.")
        return data


class MFACodeForm(forms.Form):
    """AWS's "Multi-factor authentication" step: a code from one of the principal's
    devices. The code's shape is checked with the code (iam.mfa.verify_code), so a
    malformed one is a failed attempt like a wrong one."""

    device = forms.ChoiceField(label="Choose the MFA device", widget=forms.RadioSelect, required=False)
    code = forms.CharField(
        label="MFA code",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def __init__(self, *args, devices, **kwargs):
        super().__init__(*args, **kwargs)
        self.devices = devices
        self.fields["device"].choices = [(serial, serial) for serial in devices]
        self.fields["device"].initial = devices[0] if devices else None
        if len(devices) == 1:
            self.fields["device"].widget = forms.HiddenInput()

    def clean_device(self):
        return self.cleaned_data["device"] or self.devices[0]
