from django import forms


class PasswordPolicyForm(forms.Form):
    """The "Edit password policy" page. Ranges are checked by the operation, so the
    console shows AWS's own ValidationError text."""

    policy_type = forms.ChoiceField(
        choices=[("default", "IAM default"), ("custom", "Custom")], widget=forms.RadioSelect, initial="custom"
    )
    minimum_password_length = forms.IntegerField(label="Password minimum length", initial=8, required=False)
    require_uppercase_characters = forms.BooleanField(
        label="Require at least one uppercase letter from the Latin alphabet (A-Z)", required=False
    )
    require_lowercase_characters = forms.BooleanField(
        label="Require at least one lowercase letter from the Latin alphabet (a-z)", required=False
    )
    require_numbers = forms.BooleanField(label="Require at least one number", required=False)
    require_symbols = forms.BooleanField(
        label="Require at least one non-alphanumeric character ( ! @ # $ % ^ & * ( ) _ + - = [ ] { } | ' )",
        required=False,
    )
    expire_passwords = forms.BooleanField(label="Turn on password expiration", required=False)
    max_password_age = forms.IntegerField(label="Expire passwords in day(s)", initial=90, required=False)
    hard_expiry = forms.BooleanField(label="Password expiration requires administrator reset", required=False)
    allow_users_to_change_password = forms.BooleanField(
        label="Allow users to change their own password", required=False
    )
    prevent_reuse = forms.BooleanField(label="Prevent password reuse", required=False)
    password_reuse_prevention = forms.IntegerField(label="Remember password(s)", initial=5, required=False)

    def clean(self):
        data = super().clean()
        if data.get("policy_type") == "custom" and data.get("minimum_password_length") is None:
            self.add_error("minimum_password_length", "Enter the password minimum length.")
        if data.get("expire_passwords") and data.get("max_password_age") is None:
            self.add_error("max_password_age", "Enter the number of days after which passwords expire.")
        if data.get("prevent_reuse") and data.get("password_reuse_prevention") is None:
            self.add_error("password_reuse_prevention", "Enter the number of passwords to remember.")
        return data

    def aws_parameters(self):
        data = self.cleaned_data
        params = {
            "MinimumPasswordLength": data["minimum_password_length"],
            "RequireUppercaseCharacters": data["require_uppercase_characters"],
            "RequireLowercaseCharacters": data["require_lowercase_characters"],
            "RequireNumbers": data["require_numbers"],
            "RequireSymbols": data["require_symbols"],
            "AllowUsersToChangePassword": data["allow_users_to_change_password"],
            "HardExpiry": data["hard_expiry"] and data["expire_passwords"],
        }
        if data["expire_passwords"]:
            params["MaxPasswordAge"] = data["max_password_age"]
        if data["prevent_reuse"]:
            params["PasswordReusePrevention"] = data["password_reuse_prevention"]
        return params


def initial_from_policy(policy):
    """Form values from GetAccountPasswordPolicy's PasswordPolicy (or None: the default)."""
    if policy is None:
        return {"policy_type": "default"}
    return {
        "policy_type": "custom",
        "minimum_password_length": policy["MinimumPasswordLength"],
        "require_uppercase_characters": policy["RequireUppercaseCharacters"],
        "require_lowercase_characters": policy["RequireLowercaseCharacters"],
        "require_numbers": policy["RequireNumbers"],
        "require_symbols": policy["RequireSymbols"],
        "allow_users_to_change_password": policy["AllowUsersToChangePassword"],
        "expire_passwords": policy["ExpirePasswords"],
        "max_password_age": policy.get("MaxPasswordAge", 90),
        "hard_expiry": policy.get("HardExpiry", False),
        "prevent_reuse": "PasswordReusePrevention" in policy,
        "password_reuse_prevention": policy.get("PasswordReusePrevention", 5),
    }
