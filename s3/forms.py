"""Forms of the S3 console pages. They check shape only: bucket names, policies, tags and
ownership rules are judged by the operations (CreateBucket, PutBucketPolicy, ...), whose
AWS messages the pages show as form errors, so the console says what the CLI says."""

from django import forms

# The Regions the console offers, as the AWS console names them. A bucket is created in
# the chosen Region's name only: everything is served from this one host.
REGIONS = [
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
    ("ca-central-1", "Canada (Central)"),
    ("sa-east-1", "South America (São Paulo)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
]
REGION_NAMES = dict(REGIONS)

# The confirmation words the AWS console asks for before it deletes for good.
PERMANENTLY_DELETE = "permanently delete"


def region_label(code):
    """``US East (N. Virginia) us-east-1``, as the console's AWS Region column reads."""
    code = code or "us-east-1"
    name = REGION_NAMES.get(code)
    return f"{name} {code}" if name else code


class CreateBucketForm(forms.Form):
    region = forms.ChoiceField(
        label="AWS Region", choices=[(code, f"{name} {code}") for code, name in REGIONS], initial="us-east-1"
    )
    bucket_name = forms.CharField(
        label="Bucket name",
        max_length=255,
        error_messages={"required": "Bucket name must not be empty."},
        widget=forms.TextInput(attrs={"placeholder": "myawsbucket", "autocomplete": "off", "spellcheck": "false"}),
    )


class ConfirmForm(forms.Form):
    """The text box the AWS console makes you fill before deleting or changing access."""

    confirm = forms.CharField(max_length=255, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args, expected, label, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected
        self.fields["confirm"].label = label
        self.fields["confirm"].widget.attrs["placeholder"] = expected

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip()
        if value != self.expected:
            raise forms.ValidationError(f"To confirm, enter {self.expected}.")
        return value


class CreateFolderForm(forms.Form):
    folder_name = forms.CharField(
        label="Folder name",
        max_length=1024,
        error_messages={"required": "Folder name must not be empty."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_folder_name(self):
        # The console makes one "name/" object; a slash inside would make two levels.
        name = self.cleaned_data["folder_name"].strip()
        if "/" in name:
            raise forms.ValidationError('Folder names can\'t contain "/".')
        return name


class BucketPolicyForm(forms.Form):
    policy = forms.CharField(
        label="Policy",
        strip=False,
        required=False,
        widget=forms.Textarea(attrs={"rows": 22, "spellcheck": "false", "data-policy-editor": ""}),
    )


BLOCK_PUBLIC_ACCESS = [
    (
        "BlockPublicAcls",
        "Block public access to buckets and objects granted through new access control lists (ACLs)",
        "S3 will block public access permissions applied to newly added buckets or objects, and prevent the "
        "creation of new public access ACLs for existing buckets and objects. This setting doesn't change any "
        "existing permissions that allow public access to S3 resources using ACLs.",
    ),
    (
        "IgnorePublicAcls",
        "Block public access to buckets and objects granted through any access control lists (ACLs)",
        "S3 will ignore all ACLs that grant public access to buckets and objects.",
    ),
    (
        "BlockPublicPolicy",
        "Block public access to buckets and objects granted through new public bucket or access point policies",
        "S3 will block new bucket and access point policies that grant public access to buckets and objects. "
        "This setting doesn't change any existing policies that allow public access to S3 resources.",
    ),
    (
        "RestrictPublicBuckets",
        "Block public and cross-account access to buckets and objects through any public bucket or access point "
        "policies",
        "S3 will ignore public and cross-account access for buckets or access points with policies that grant "
        "public access to buckets and objects.",
    ),
]


class BlockPublicAccessForm(forms.Form):
    block_all = forms.BooleanField(label="Block all public access", required=False)
    BlockPublicAcls = forms.BooleanField(required=False)
    IgnorePublicAcls = forms.BooleanField(required=False)
    BlockPublicPolicy = forms.BooleanField(required=False)
    RestrictPublicBuckets = forms.BooleanField(required=False)
    confirm = forms.CharField(
        label="To confirm the settings, enter confirm in the field.", max_length=64, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label, _ in BLOCK_PUBLIC_ACCESS:
            self.fields[name].label = label

    def clean_confirm(self):
        if self.cleaned_data["confirm"].strip() != "confirm":
            raise forms.ValidationError("To confirm the settings, enter confirm in the field.")
        return "confirm"

    def configuration(self):
        """PublicAccessBlockConfiguration: "Block all" turns on the four settings."""
        data = self.cleaned_data
        return {name: bool(data["block_all"] or data[name]) for name, _, _ in BLOCK_PUBLIC_ACCESS}


OWNERSHIP_CHOICES = [
    ("BucketOwnerEnforced", "ACLs disabled (recommended)"),
    ("BucketOwnerPreferred", "ACLs enabled: Bucket owner preferred"),
    ("ObjectWriter", "ACLs enabled: Object writer"),
]


class ObjectOwnershipForm(forms.Form):
    object_ownership = forms.ChoiceField(label="Object Ownership", choices=OWNERSHIP_CHOICES, widget=forms.RadioSelect)
