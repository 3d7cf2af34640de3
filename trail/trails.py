"""CloudTrail's trail actions, one function each, named after the AWS action: CreateTrail,
UpdateTrail, DeleteTrail, DescribeTrails, GetTrail, GetTrailStatus, StartLogging,
StopLogging, GetEventSelectors, PutEventSelectors and ListPublicKeys.

The model: a Trail belongs to an account and a home region and names an S3 bucket.
While it is logging, trail.delivery writes its account's events there as log files
(and, with log file validation, signed hourly digest files, trail.digests). AWS checks
the bucket policy when the trail is created or pointed at another bucket: CloudTrail
must be allowed GetBucketAcl on the bucket and PutObject under the trail's prefix."""

import ipaddress
import re

from awsapi.errors import AWSError
from awsapi.operation import operation
from console import clock
from iam.models import Account
from s3 import access
from s3.models import Bucket
from trail import delivery, digests
from trail.models import Trail, default_event_selectors
from trail.operations import InvalidTimeRange

MAX_TRAILS_PER_REGION = 5
MAX_PREFIX = 200
MAX_SELECTORS = 5
MAX_DATA_RESOURCES = 250
DATA_RESOURCE_TYPES = ("AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table")
READ_WRITE_TYPES = ("ReadOnly", "WriteOnly", "All")
TRAIL_ARN = re.compile(r"arn:aws:cloudtrail:([a-z0-9-]+):(\d{12}):trail/(.+)")


class _CloudTrailError(AWSError):
    status = 400
    sender_fault = True


def _error(code):
    return type(code, (_CloudTrailError,), {"code": code})


TrailAlreadyExists = _error("TrailAlreadyExistsException")
TrailNotFound = _error("TrailNotFoundException")
InvalidTrailName = _error("InvalidTrailNameException")
S3BucketDoesNotExist = _error("S3BucketDoesNotExistException")
InsufficientS3BucketPolicy = _error("InsufficientS3BucketPolicyException")
InvalidS3Prefix = _error("InvalidS3PrefixException")
MaximumNumberOfTrailsExceeded = _error("MaximumNumberOfTrailsExceededException")
InvalidParameterCombination = _error("InvalidParameterCombinationException")
InvalidEventSelectors = _error("InvalidEventSelectorsException")
InvalidHomeRegion = _error("InvalidHomeRegionException")
CloudTrailARNInvalid = _error("CloudTrailARNInvalidException")
InsufficientSnsTopicPolicy = _error("InsufficientSnsTopicPolicyException")
InvalidCloudWatchLogsLogGroupArn = _error("InvalidCloudWatchLogsLogGroupArnException")
KmsKeyNotFound = _error("KmsKeyNotFoundException")
OrganizationsNotInUse = _error("OrganizationsNotInUseException")
UnsupportedOperation = _error("UnsupportedOperationException")


# --- names, ARNs and finding trails ------------------------------------------------------


def check_name(name):
    """AWS's trail name rules, with the messages CloudTrail answers for each."""
    if len(name) < 3:
        raise InvalidTrailName(
            f"Trail name too short. Minimum allowed length: 3 characters. Specified name length: {len(name)} characters."
        )
    if len(name) > 128:
        raise InvalidTrailName(
            f"Trail name too long. Maximum allowed length: 128 characters. Specified name length: {len(name)} characters."
        )
    if not name[0].isascii() or not name[0].isalnum():
        raise InvalidTrailName("Trail name must starts with a letter or number.")
    if not name[-1].isascii() or not name[-1].isalnum():
        raise InvalidTrailName("Trail name must ends with a letter or number.")
    if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
        raise InvalidTrailName(
            "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), "
            "hyphens (-), and underscores (_)."
        )
    if re.search(r"[._-]{2}", name):
        raise InvalidTrailName(
            "Trail name cannot have adjacent periods, underscores or dashes. Names like my-_namespace and "
            "my--namespace are not valid."
        )
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return
    raise InvalidTrailName("Trail name cannot be in IP address format (for example, 192.168.5.4).")


def trail_arn(ctx, name):
    return f"arn:aws:cloudtrail:{ctx.region}:{ctx.principal.account_id}:trail/{name}"


def trail_resource(ctx, params):
    """The ARN a trail action is authorized on."""
    name = params.get("Name") or params.get("TrailName") or ""
    return name if name.startswith("arn:") else trail_arn(ctx, name)


def _not_found(ctx, arn):
    return TrailNotFound(f"Unknown trail: {arn} for the user: {ctx.principal.account_id}")


def find_trail(ctx, name, *, write=False):
    """The caller's trail named ``name`` (or with that ARN) seen from ctx.region: its
    own trails and multi-region trails of other home regions. An action that changes a
    trail must come from its home region."""
    account_id = ctx.principal.account_id
    trails = Trail.objects.select_related("account").filter(account__account_id=account_id)
    if name.startswith("arn:"):
        found = TRAIL_ARN.fullmatch(name)
        if not found:
            raise CloudTrailARNInvalid(
                "Invalid trail ARN. The following is the format of a trail ARN: "
                "arn:aws:cloudtrail:us-east-2:123456789012:trail/MyTrail"
            )
        region, account, short = found.groups()
        if account != account_id:
            raise CloudTrailARNInvalid(
                f"AccountID in ARN is wrong, you can only access resources with AccountID {account_id}."
            )
        trail = trails.filter(home_region=region, name=short).first()
        arn = name
    else:
        check_name(name)
        trail = trails.filter(home_region=ctx.region, name=name).first() or trails.filter(
            is_multi_region_trail=True, name=name
        ).first()
        arn = trail_arn(ctx, name)
    if trail is None or (trail.home_region != ctx.region and not trail.is_multi_region_trail):
        raise _not_found(ctx, arn)
    if write and trail.home_region != ctx.region:
        raise InvalidHomeRegion(
            f"The request was made from a region other than the home region ({trail.home_region}) of the trail."
        )
    return trail


# --- the bucket ----------------------------------------------------------------------------


def _check_prefix(prefix):
    if prefix is not None and len(prefix) > MAX_PREFIX:
        raise InvalidS3Prefix(f"Prefix length must not exceed {MAX_PREFIX} characters.")


def check_bucket(trail):
    """AWS's checks of a trail's bucket: it exists, and its policy lets CloudTrail read
    the bucket ACL and write under the trail's prefix."""
    bucket = Bucket.objects.select_related("account").filter(name=trail.s3_bucket_name).first()
    if bucket is None:
        raise S3BucketDoesNotExist(f"S3 bucket {trail.s3_bucket_name} does not exist!")
    source = {"aws:SourceArn": trail.arn, "aws:SourceAccount": trail.account.account_id}
    key = delivery.log_file_key(trail, trail.home_region, clock.now())
    if not (
        access.service_may(bucket, "s3:GetBucketAcl", bucket.arn, context=source)
        and delivery.may_write(trail, bucket, key)
    ):
        raise InsufficientS3BucketPolicy(f"Incorrect S3 bucket policy is detected for bucket: {bucket.name}")


def _unsupported(sns_topic_name, cloud_watch_logs_log_group_arn, cloud_watch_logs_role_arn, kms_key_id,
                 is_organization_trail):
    """What iamlab has no service for is refused as AWS refuses a topic, log group or
    key that does not exist."""
    if sns_topic_name:
        raise InsufficientSnsTopicPolicy("SNS Topic does not exist or the topic policy is incorrect!")
    if cloud_watch_logs_log_group_arn or cloud_watch_logs_role_arn:
        raise InvalidCloudWatchLogsLogGroupArn("Access denied. Verify in IAM that the role has adequate permissions.")
    if kms_key_id:
        raise KmsKeyNotFound(f"KMS key {kms_key_id} not found.")
    if is_organization_trail:
        raise OrganizationsNotInUse("This account is not a member of an organization.")


def _check_combination(trail):
    if trail.is_multi_region_trail and not trail.include_global_service_events:
        raise InvalidParameterCombination("Multi-Region trail must include global service events.")


# --- shapes --------------------------------------------------------------------------------


def describe(trail):
    """The Trail structure (DescribeTrails, GetTrail)."""
    shape = {"Name": trail.name, "S3BucketName": trail.s3_bucket_name}
    if trail.s3_key_prefix:
        shape["S3KeyPrefix"] = trail.s3_key_prefix
    shape.update(
        {
            "IncludeGlobalServiceEvents": trail.include_global_service_events,
            "IsMultiRegionTrail": trail.is_multi_region_trail,
            "HomeRegion": trail.home_region,
            "TrailARN": trail.arn,
            "LogFileValidationEnabled": trail.log_file_validation_enabled,
            "HasCustomEventSelectors": trail.has_custom_event_selectors,
            "HasInsightSelectors": False,
            "IsOrganizationTrail": False,
        }
    )
    return shape


def _response(trail):
    """CreateTrail's and UpdateTrail's answer."""
    shape = describe(trail)
    for member in ("HomeRegion", "HasCustomEventSelectors", "HasInsightSelectors"):
        shape.pop(member)
    return shape


# --- actions -------------------------------------------------------------------------------


@operation("cloudtrail:CreateTrail", resource=trail_resource)
def create_trail(ctx, name=None, s3_bucket_name=None, s3_key_prefix=None, sns_topic_name=None,
                 include_global_service_events=None, is_multi_region_trail=None, enable_log_file_validation=None,
                 cloud_watch_logs_log_group_arn=None, cloud_watch_logs_role_arn=None, kms_key_id=None,
                 is_organization_trail=None, tags_list=None, recursive_logging=None):
    """CreateTrail: a trail delivering to an existing bucket whose policy allows CloudTrail."""
    check_name(name)
    account = Account.objects.get(account_id=ctx.principal.account_id)
    if Trail.objects.filter(account=account, name=name).exists():
        raise TrailAlreadyExists(f"Trail {name} already exists for customer: {account.account_id}")
    if Trail.objects.filter(account=account, home_region=ctx.region).count() >= MAX_TRAILS_PER_REGION:
        raise MaximumNumberOfTrailsExceeded(
            f"User: {account.account_id} already has {MAX_TRAILS_PER_REGION} trails in {ctx.region}."
        )
    _unsupported(sns_topic_name, cloud_watch_logs_log_group_arn, cloud_watch_logs_role_arn, kms_key_id,
                 is_organization_trail)
    _check_prefix(s3_key_prefix)
    trail = Trail(
        account=account,
        name=name,
        home_region=ctx.region,
        s3_bucket_name=s3_bucket_name,
        s3_key_prefix=s3_key_prefix or "",
        include_global_service_events=True if include_global_service_events is None else include_global_service_events,
        is_multi_region_trail=bool(is_multi_region_trail),
        log_file_validation_enabled=bool(enable_log_file_validation),
        tags=tags_list or [],
        create_date=clock.now(),
    )
    _check_combination(trail)
    check_bucket(trail)
    # A new trail starts from the events recorded after it: nothing before its
    # creation is delivered (AWS delivers only what happens while it logs).
    trail.cursor = _newest_event_id()
    trail.save()
    return _response(trail)


def _newest_event_id():
    from trail.models import Event

    return Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@operation("cloudtrail:UpdateTrail", resource=trail_resource)
def update_trail(ctx, name=None, s3_bucket_name=None, s3_key_prefix=None, sns_topic_name=None,
                 include_global_service_events=None, is_multi_region_trail=None, enable_log_file_validation=None,
                 cloud_watch_logs_log_group_arn=None, cloud_watch_logs_role_arn=None, kms_key_id=None,
                 is_organization_trail=None, recursive_logging=None):
    """UpdateTrail: change a trail's bucket, prefix, scope or log file validation."""
    trail = find_trail(ctx, name, write=True)
    _unsupported(sns_topic_name, cloud_watch_logs_log_group_arn, cloud_watch_logs_role_arn, kms_key_id,
                 is_organization_trail)
    _check_prefix(s3_key_prefix)
    if s3_bucket_name is not None:
        trail.s3_bucket_name = s3_bucket_name
    if s3_key_prefix is not None:
        trail.s3_key_prefix = s3_key_prefix
    if include_global_service_events is not None:
        trail.include_global_service_events = include_global_service_events
    if is_multi_region_trail is not None:
        trail.is_multi_region_trail = is_multi_region_trail
    if enable_log_file_validation is not None:
        if enable_log_file_validation and not trail.log_file_validation_enabled:
            # Digests start afresh: the hours without validation are not digested.
            trail.digest_chains.update(period_start=clock.now())
        trail.log_file_validation_enabled = enable_log_file_validation
    _check_combination(trail)
    if s3_bucket_name is not None or s3_key_prefix is not None:
        check_bucket(trail)
    trail.save()
    return _response(trail)


@operation("cloudtrail:DeleteTrail", resource=trail_resource)
def delete_trail(ctx, name=None):
    """DeleteTrail: the trail stops; what it delivered stays in the bucket."""
    find_trail(ctx, name, write=True).delete()
    return {}


@operation("cloudtrail:DescribeTrails", read_only=True)
def describe_trails(ctx, trail_name_list=None, include_shadow_trails=None):
    """DescribeTrails: the trails of the caller's region (and multi-region ones)."""
    trails = Trail.objects.select_related("account").filter(account__account_id=ctx.principal.account_id)
    shadows = include_shadow_trails is None or include_shadow_trails
    found = [t for t in trails.order_by("name") if t.home_region == ctx.region or (shadows and t.is_multi_region_trail)]
    if trail_name_list:
        wanted = set(trail_name_list)
        found = [t for t in found if t.name in wanted or t.arn in wanted]
    return {"trailList": [describe(t) for t in found]}


@operation("cloudtrail:GetTrail", resource=trail_resource, read_only=True)
def get_trail(ctx, name=None):
    """GetTrail: one trail's settings."""
    return {"Trail": describe(find_trail(ctx, name))}


def _stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


@operation("cloudtrail:GetTrailStatus", resource=trail_resource, read_only=True)
def get_trail_status(ctx, name=None):
    """GetTrailStatus: whether it logs, and how its last deliveries went."""
    trail = find_trail(ctx, name)
    status = {
        "IsLogging": trail.is_logging,
        "LatestDeliveryTime": trail.latest_delivery_time,
        "StartLoggingTime": trail.start_logging_time,
        "StopLoggingTime": trail.stop_logging_time,
        "LatestDigestDeliveryTime": trail.latest_digest_delivery_time,
        "LatestDeliveryAttemptTime": _stamp(trail.latest_delivery_attempt_time) or "",
        "LatestNotificationAttemptTime": "",
        "LatestNotificationAttemptSucceeded": "",
        "LatestDeliveryAttemptSucceeded": _stamp(trail.latest_delivery_time) or "",
        "TimeLoggingStarted": _stamp(trail.start_logging_time) or "",
        "TimeLoggingStopped": _stamp(trail.stop_logging_time) or "",
    }
    if trail.latest_delivery_error:
        status["LatestDeliveryError"] = trail.latest_delivery_error
    if trail.latest_digest_delivery_error:
        status["LatestDigestDeliveryError"] = trail.latest_digest_delivery_error
    return {key: value for key, value in status.items() if value is not None}


@operation("cloudtrail:StartLogging", resource=trail_resource)
def start_logging(ctx, name=None):
    """StartLogging: deliveries begin with the events recorded from now on."""
    trail = find_trail(ctx, name, write=True)
    if not trail.is_logging:
        now = clock.now()
        trail.is_logging = True
        trail.start_logging_time = now
        # A stopped trail missed what happened meanwhile, as on AWS.
        trail.cursor = max(trail.cursor, _newest_event_id())
        trail.digest_chains.update(period_start=now)
        trail.save()
    return {}


@operation("cloudtrail:StopLogging", resource=trail_resource)
def stop_logging(ctx, name=None):
    """StopLogging: no more deliveries until StartLogging."""
    trail = find_trail(ctx, name, write=True)
    if trail.is_logging:
        trail.is_logging = False
        trail.stop_logging_time = clock.now()
        trail.save()
    return {}


def _check_selectors(selectors):
    if len(selectors) > MAX_SELECTORS:
        raise InvalidEventSelectors(f"The number of event selectors must not exceed {MAX_SELECTORS}.")
    total = 0
    for selector in selectors:
        read_write = selector.get("ReadWriteType", "All")
        if read_write not in READ_WRITE_TYPES:
            raise InvalidEventSelectors(f"Value {read_write} for ReadWriteType is invalid.")
        for resource in selector.get("DataResources") or ():
            kind = resource.get("Type")
            if kind not in DATA_RESOURCE_TYPES:
                raise InvalidEventSelectors(f"Value {kind} for DataResources.Type is invalid.")
            values = resource.get("Values") or []
            total += len(values)
            for value in values:
                if kind == "AWS::S3::Object" and not (
                    value in ("arn:aws:s3", "arn:aws:s3:::") or re.fullmatch(r"arn:aws:s3:::[a-z0-9.-]{3,63}/.*", value)
                ):
                    raise InvalidEventSelectors(f"Value {value} for DataResources.Values is invalid.")
    if total > MAX_DATA_RESOURCES:
        raise InvalidEventSelectors(
            f"The number of data resources must not exceed {MAX_DATA_RESOURCES} across all event selectors."
        )


def _normalized(selector):
    return {
        "ReadWriteType": selector.get("ReadWriteType", "All"),
        "IncludeManagementEvents": selector.get("IncludeManagementEvents", True),
        "DataResources": [
            {"Type": r.get("Type"), "Values": list(r.get("Values") or [])} for r in selector.get("DataResources") or ()
        ],
        "ExcludeManagementEventSources": list(selector.get("ExcludeManagementEventSources") or []),
    }


@operation("cloudtrail:PutEventSelectors", resource=trail_resource)
def put_event_selectors(ctx, trail_name=None, event_selectors=None, advanced_event_selectors=None):
    """PutEventSelectors: which management and data events the trail logs."""
    trail = find_trail(ctx, trail_name, write=True)
    if event_selectors is not None and advanced_event_selectors is not None:
        raise InvalidParameterCombination("You cannot specify both EventSelectors and AdvancedEventSelectors.")
    if advanced_event_selectors is not None:
        raise UnsupportedOperation("Advanced event selectors are not supported by iamlab; use EventSelectors.")
    if event_selectors is None:
        raise InvalidEventSelectors("You must specify either EventSelectors or AdvancedEventSelectors.")
    _check_selectors(event_selectors)
    trail.event_selectors = [_normalized(s) for s in event_selectors]
    trail.has_custom_event_selectors = trail.event_selectors != default_event_selectors()
    trail.save()
    return {"TrailARN": trail.arn, "EventSelectors": trail.event_selectors}


@operation("cloudtrail:GetEventSelectors", resource=trail_resource, read_only=True)
def get_event_selectors(ctx, trail_name=None):
    """GetEventSelectors: the trail's event selectors."""
    trail = find_trail(ctx, trail_name)
    return {"TrailARN": trail.arn, "EventSelectors": trail.event_selectors}


@operation("cloudtrail:ListPublicKeys", read_only=True)
def list_public_keys(ctx, start_time=None, end_time=None, next_token=None):
    """ListPublicKeys: the region's digest-signing public keys valid in the range."""
    if start_time is not None and end_time is not None and start_time > end_time:
        raise InvalidTimeRange(InvalidTimeRange.default)
    digests.signing_key(ctx.region)  # the current key, so there always is one
    return {
        "PublicKeyList": [
            {
                "Value": bytes(key.public_key),
                "ValidityStartTime": key.validity_start,
                "ValidityEndTime": key.validity_end,
                "Fingerprint": key.fingerprint,
            }
            for key in digests.public_keys(ctx.region, start_time, end_time)
        ]
    }
