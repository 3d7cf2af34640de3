"""The resources a call names, as LookupEvents reports them (ResourceType,
ResourceName) and as the record's ``resources`` member lists them (type, ARN).

Read from the call's own parameters and result, never from the database: this runs for
every event on the request's hot path. A resource's ARN is given only where the call
carries it exactly (an ARN parameter, the ARN in the result, a bucket name); an IAM name
alone does not say the entity's path, so its ARN is left out rather than guessed."""

# Parameters that name a resource by name: AWS's resource type for each.
NAMED = {
    "UserName": "AWS::IAM::User",
    "NewUserName": "AWS::IAM::User",
    "GroupName": "AWS::IAM::Group",
    "NewGroupName": "AWS::IAM::Group",
    "RoleName": "AWS::IAM::Role",
    "InstanceProfileName": "AWS::IAM::InstanceProfile",
    "PolicyName": "AWS::IAM::Policy",
    "AccessKeyId": "AWS::IAM::AccessKey",
    "AccountAlias": "AWS::IAM::AccountAlias",
    "VirtualMFADeviceName": "AWS::IAM::MfaDevice",
}
# Parameters that name a resource by ARN (LookupEvents shows the ARN as its name).
BY_ARN = {
    "PolicyArn": "AWS::IAM::Policy",
    "RoleArn": "AWS::IAM::Role",
    "PermissionsBoundary": "AWS::IAM::Policy",
    "SerialNumber": "AWS::IAM::MfaDevice",
}
# Result members that describe the entity the call created or read.
RESULT_ENTITIES = {
    "User": ("AWS::IAM::User", "UserName"),
    "Group": ("AWS::IAM::Group", "GroupName"),
    "Role": ("AWS::IAM::Role", "RoleName"),
    "Policy": ("AWS::IAM::Policy", "PolicyName"),
    "InstanceProfile": ("AWS::IAM::InstanceProfile", "InstanceProfileName"),
}


def resources_of(service, params, result):
    """[{"type", "name", "arn"}] without duplicates, in the order the call names them."""
    found = {}

    def add(kind, name, arn=""):
        if not isinstance(name, str) or not name:
            return
        key = (kind, name)
        if key not in found or (arn and not found[key]["arn"]):
            found[key] = {"type": kind, "name": name, "arn": arn if isinstance(arn, str) else ""}

    if service == "s3":
        bucket = params.get("Bucket")
        if isinstance(bucket, str) and bucket:
            add("AWS::S3::Bucket", bucket, f"arn:aws:s3:::{bucket}")
        return list(found.values())
    if isinstance(result, dict):
        for member, (kind, name_member) in RESULT_ENTITIES.items():
            entity = result.get(member)
            if isinstance(entity, dict):
                add(kind, entity.get(name_member), entity.get("Arn", ""))
    for member, kind in NAMED.items():
        value = params.get(member)
        if value is not None:
            add(kind, value)
    for member, kind in BY_ARN.items():
        value = params.get(member)
        if isinstance(value, str) and value.startswith("arn:"):
            add(kind, value, value)
    if isinstance(result, dict):
        key = result.get("AccessKey")
        if isinstance(key, dict):
            add("AWS::IAM::AccessKey", key.get("AccessKeyId"))
        credentials = result.get("Credentials")
        if isinstance(credentials, dict):
            add("AWS::IAM::AccessKey", credentials.get("AccessKeyId"))
        assumed = result.get("AssumedRoleUser")
        if isinstance(assumed, dict):
            add("AWS::STS::AssumedRole", assumed.get("AssumedRoleId"), assumed.get("Arn", ""))
    return list(found.values())
