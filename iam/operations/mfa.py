"""Virtual MFA devices: CreateVirtualMFADevice, EnableMFADevice, DeactivateMFADevice,
DeleteVirtualMFADevice, ListMFADevices, ListVirtualMFADevices, GetMFADevice,
ResyncMFADevice and the device's tags.

A device (iam.models.MFADevice) is created unassigned, with a seed that is returned once
(Base32StringSeed, QRCodePNG) and kept encrypted; EnableMFADevice assigns it to a user —
or to the root user — after two consecutive codes prove the authenticator has the seed
and a clock in step. Deactivating frees it again; only a free device can be deleted.
Codes are checked by iam.mfa. Without a UserName, Enable/Deactivate/Resync/List/Get act
on the caller (the root user, for root), as the console does for "My security
credentials"."""

import re

from awsapi.errors import (
    AWSError,
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
)
from awsapi.operation import operation
from console import clock
from iam import crypto, mfa
from iam.models import MFADevice, User
from iam.operations.common import (
    apply_tags,
    account_of,
    paginate,
    remove_tags,
    tags_shape,
    user_named,
    user_resource,
    validate_tag_keys,
    validate_tags,
)
from iam.validation import PATH, USER_NAME, Constraints

# "IAM and AWS STS quotas": MFA devices in use per user.
MFA_DEVICES_PER_USER = 8

SERIAL_NUMBER = re.compile(r"[\w+=/:,.@-]+", re.ASCII)
AUTHENTICATION_CODE = re.compile(r"[\d]+", re.ASCII)
ASSIGNMENT_STATUSES = ("Assigned", "Unassigned", "Any")


class InvalidAuthenticationCode(AWSError):
    code = "InvalidAuthenticationCode"
    status = 403
    sender_fault = True

    def __init__(self):
        super().__init__("Authentication code for device is not valid.")


def serial_number_for(account_id, path, name):
    return f"arn:aws:iam::{account_id}:mfa{path}{name}"


# --- validation and lookups ---------------------------------------------------------


def _check_serial(constraints, serial_number):
    constraints.required("serialNumber", serial_number)
    constraints.length("serialNumber", serial_number, 9, 256)
    constraints.pattern("serialNumber", serial_number, SERIAL_NUMBER)


def _check_code(constraints, member, code):
    constraints.required(member, code)
    constraints.length(member, code, 6, 6)
    constraints.pattern(member, code, AUTHENTICATION_CODE)


def _check_user_name(constraints, user_name):
    constraints.length("userName", user_name, 1, 128)
    constraints.pattern("userName", user_name, USER_NAME)


def _owner(ctx, account, user_name):
    """The user meant: the named one, else the caller (None for the root user)."""
    if user_name is not None:
        return user_named(account, user_name, high=128)
    if ctx.principal.is_root:
        return None
    return User.objects.select_related("account").get(pk=ctx.principal.user_pk)


def _owner_name(account, owner):
    # The root user's devices and keys are listed under the account ID.
    return owner.user_name if owner else account.account_id


def _no_such_device(serial_number):
    return NoSuchEntity(f"VirtualMFADevice with serial number {serial_number} does not exist.")


def _device(account, serial_number):
    device = MFADevice.objects.select_related("user").filter(account=account, serial_number=serial_number).first()
    if device is None:
        raise _no_such_device(serial_number)
    return device


def _assigned_device(account, owner, serial_number):
    """An enabled device of ``owner`` (None: root); another user's is not theirs."""
    device = _device(account, serial_number)
    if not device.enabled or device.user_id != (owner.pk if owner else None):
        raise NoSuchEntity("MFA Device invalid for user.")
    return device


def device_resource(ctx, params):
    """The device's ARN — its serial number — as policies name it."""
    return params.get("SerialNumber") or ""


def _new_device_resource(ctx, params):
    name = params.get("VirtualMFADeviceName") or ""
    return serial_number_for(ctx.principal.account_id, params.get("Path") or "/", name)


# --- shapes -------------------------------------------------------------------------


def _root_user_shape(account):
    return {
        "Path": "/",
        "UserName": account.account_id,
        "UserId": account.account_id,
        "Arn": account.root_arn,
        "CreateDate": account.create_date,
    }


def virtual_device_shape(device):
    """AWS's VirtualMFADevice without the seed (ListVirtualMFADevices)."""
    from iam.operations.users import user_shape

    shape = {"SerialNumber": device.serial_number}
    if device.enabled:
        shape["User"] = user_shape(device.user) if device.user else _root_user_shape(device.account)
        shape["EnableDate"] = device.enable_date
    tags = tags_shape(device.tags)
    if tags:
        shape["Tags"] = tags
    return shape


def mfa_device_shape(device, user_name):
    return {"UserName": user_name, "SerialNumber": device.serial_number, "EnableDate": device.enable_date}


# --- actions ------------------------------------------------------------------------


@operation(
    "iam:CreateVirtualMFADevice",
    resource=_new_device_resource,
    secret_params=("Base32StringSeed", "QRCodePNG"),
)
def create_virtual_mfa_device(ctx, virtual_mfa_device_name=None, path=None, tags=None):
    """CreateVirtualMFADevice: a new unassigned device; its seed is returned only here."""
    path = "/" if path is None else path
    constraints = Constraints()
    constraints.required("virtualMFADeviceName", virtual_mfa_device_name)
    constraints.length("virtualMFADeviceName", virtual_mfa_device_name, 1, 226)
    constraints.pattern("virtualMFADeviceName", virtual_mfa_device_name, USER_NAME)
    constraints.length("path", path, 1, 512)
    constraints.pattern("path", path, PATH)
    constraints.check()
    if tags:
        validate_tags(tags)
    account = account_of(ctx)
    serial_number = serial_number_for(account.account_id, path, virtual_mfa_device_name)
    if MFADevice.objects.filter(serial_number=serial_number).exists():
        raise EntityAlreadyExists("MFADevice entity at the same path and name already exists.")
    seed = mfa.new_seed()
    device = MFADevice.objects.create(
        account=account,
        serial_number=serial_number,
        virtual_mfa_device_name=virtual_mfa_device_name,
        path=path,
        seed_encrypted=crypto.encrypt(seed, serial_number),
        create_date=clock.now(),
    )
    if tags:
        apply_tags(device.tags, tags)
    # AWS's QR code names the device and the account (its alias when it has one).
    uri = mfa.otpauth_uri(seed, virtual_mfa_device_name, account.alias or account.account_id)
    shape = {
        "SerialNumber": serial_number,
        "Base32StringSeed": seed.encode("ascii"),
        "QRCodePNG": mfa.qr_png(uri),
    }
    if tags:
        shape["Tags"] = tags_shape(device.tags)
    return {"VirtualMFADevice": shape}


def _check_code_pair(user_name, serial_number, code1, code2):
    """EnableMFADevice's and ResyncMFADevice's parameters: a device and two codes."""
    constraints = Constraints()
    _check_user_name(constraints, user_name)
    _check_serial(constraints, serial_number)
    _check_code(constraints, "authenticationCode1", code1)
    _check_code(constraints, "authenticationCode2", code2)
    constraints.check()


@operation(
    "iam:EnableMFADevice",
    resource=user_resource,
    secret_params=("AuthenticationCode1", "AuthenticationCode2"),
)
def enable_mfa_device(ctx, user_name=None, serial_number=None, authentication_code1=None, authentication_code2=None):
    """EnableMFADevice: assign a free device after two consecutive codes from it."""
    _check_code_pair(user_name, serial_number, authentication_code1, authentication_code2)
    account = account_of(ctx)
    owner = _owner(ctx, account, user_name)
    device = _device(account, serial_number)
    if device.enabled:
        raise EntityAlreadyExists("MFA Device is already in use.")
    if mfa.devices_of(account, owner).count() >= MFA_DEVICES_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for MFADevicesPerUser: {MFA_DEVICES_PER_USER}")
    if mfa.throttled(device):
        raise InvalidAuthenticationCode()
    step = mfa.enable_pair(
        device.seed(), authentication_code1, authentication_code2, after_step=device.last_used_step
    )
    if step is None:
        raise InvalidAuthenticationCode()
    device.user = owner
    device.enable_date = clock.now()
    device.last_used_step = step
    device.drift = 0
    device.save(update_fields=["user", "enable_date", "last_used_step", "drift"])
    return {}


@operation("iam:DeactivateMFADevice", resource=user_resource)
def deactivate_mfa_device(ctx, user_name=None, serial_number=None):
    """DeactivateMFADevice: unassign the device; a virtual device is kept, free."""
    constraints = Constraints()
    _check_user_name(constraints, user_name)
    _check_serial(constraints, serial_number)
    constraints.check()
    account = account_of(ctx)
    device = _assigned_device(account, _owner(ctx, account, user_name), serial_number)
    device.user = None
    device.enable_date = None
    # last_used_step stays: a code once used never passes again, whoever enables it next.
    device.drift = 0
    device.save(update_fields=["user", "enable_date", "drift"])
    return {}


@operation("iam:DeleteVirtualMFADevice", resource=device_resource)
def delete_virtual_mfa_device(ctx, serial_number=None):
    """DeleteVirtualMFADevice: only a device that is not assigned."""
    constraints = Constraints()
    _check_serial(constraints, serial_number)
    constraints.check()
    device = _device(account_of(ctx), serial_number)
    if device.enabled:
        raise DeleteConflict("MFA VirtualDevice in use. Must deactivate first.")
    device.delete()
    return {}


@operation("iam:ListMFADevices", resource=user_resource, read_only=True)
def list_mfa_devices(ctx, user_name=None, marker=None, max_items=None):
    """ListMFADevices: the user's (or the caller's) enabled devices."""
    constraints = Constraints()
    _check_user_name(constraints, user_name)
    constraints.check()
    account = account_of(ctx)
    owner = _owner(ctx, account, user_name)
    page = paginate(mfa.devices_of(account, owner), marker, max_items, "MFADevices")
    name = _owner_name(account, owner)
    page["MFADevices"] = [mfa_device_shape(device, name) for device in page["MFADevices"]]
    return page


@operation("iam:ListVirtualMFADevices", read_only=True)
def list_virtual_mfa_devices(ctx, assignment_status=None, marker=None, max_items=None):
    """ListVirtualMFADevices: the account's virtual devices, with their users."""
    constraints = Constraints()
    constraints.enum("assignmentStatus", assignment_status, ASSIGNMENT_STATUSES)
    constraints.check()
    devices = (
        MFADevice.objects.select_related("account", "user__account")
        .prefetch_related("tags")
        # Security keys are MFA devices but not virtual ones: AWS lists them only in
        # ListMFADevices.
        .filter(account__account_id=ctx.principal.account_id, security_key__isnull=True)
        .order_by("serial_number")
    )
    if assignment_status == "Assigned":
        devices = devices.filter(enable_date__isnull=False)
    elif assignment_status == "Unassigned":
        devices = devices.filter(enable_date__isnull=True)
    page = paginate(devices, marker, max_items, "VirtualMFADevices")
    page["VirtualMFADevices"] = [virtual_device_shape(device) for device in page["VirtualMFADevices"]]
    return page


@operation("iam:GetMFADevice", resource=user_resource, read_only=True)
def get_mfa_device(ctx, serial_number=None, user_name=None):
    """GetMFADevice: one enabled device of the user (or the caller)."""
    constraints = Constraints()
    _check_serial(constraints, serial_number)
    constraints.length("userName", user_name, 1, 64)
    constraints.pattern("userName", user_name, USER_NAME)
    constraints.check()
    account = account_of(ctx)
    owner = _owner(ctx, account, user_name)
    device = _assigned_device(account, owner, serial_number)
    return mfa_device_shape(device, _owner_name(account, owner))


@operation(
    "iam:ResyncMFADevice",
    resource=user_resource,
    secret_params=("AuthenticationCode1", "AuthenticationCode2"),
)
def resync_mfa_device(ctx, user_name=None, serial_number=None, authentication_code1=None, authentication_code2=None):
    """ResyncMFADevice: two consecutive codes re-measure the device's clock drift."""
    _check_code_pair(user_name, serial_number, authentication_code1, authentication_code2)
    account = account_of(ctx)
    device = _assigned_device(account, _owner(ctx, account, user_name), serial_number)
    if not mfa.verify_code(device, authentication_code2, consecutive_with=authentication_code1):
        raise InvalidAuthenticationCode()
    return {}


@operation("iam:TagMFADevice", resource=device_resource)
def tag_mfa_device(ctx, serial_number=None, tags=None):
    """TagMFADevice."""
    constraints = Constraints()
    _check_serial(constraints, serial_number)
    constraints.check()
    validate_tags(tags)
    apply_tags(_device(account_of(ctx), serial_number).tags, tags)
    return {}


@operation("iam:UntagMFADevice", resource=device_resource)
def untag_mfa_device(ctx, serial_number=None, tag_keys=None):
    """UntagMFADevice."""
    constraints = Constraints()
    _check_serial(constraints, serial_number)
    constraints.check()
    validate_tag_keys(tag_keys)
    remove_tags(_device(account_of(ctx), serial_number).tags, tag_keys)
    return {}


@operation("iam:ListMFADeviceTags", resource=device_resource, read_only=True)
def list_mfa_device_tags(ctx, serial_number=None, marker=None, max_items=None):
    """ListMFADeviceTags."""
    constraints = Constraints()
    _check_serial(constraints, serial_number)
    constraints.check()
    device = _device(account_of(ctx), serial_number)
    return paginate(tags_shape(device.tags), marker, max_items, "Tags")
