from django.db import models

from iam.models import Account


class KeyField(models.TextField):
    """An object key: up to 1,024 bytes of UTF-8, ordered by its bytes as S3 lists keys.
    SQLite compares text bytewise already; PostgreSQL needs the "C" collation for it
    (its default collation would sort "B" after "a")."""

    def db_parameters(self, connection):
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


def default_public_access_block():
    return {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }


class Bucket(models.Model):
    """An S3 bucket. Names are global across the installation, as on AWS."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="buckets")
    name = models.CharField(max_length=63, unique=True)
    region = models.CharField(max_length=32)
    create_date = models.DateTimeField()
    # The bucket policy as the owner sent it ("" = none).
    policy = models.TextField(blank=True, default="")
    # Grants as s3.acl stores them ([{"account" or "group": ..., "permission": ...}]);
    # None = the default ACL, the owner's FULL_CONTROL.
    acl = models.JSONField(null=True, blank=True)
    # Block Public Access (the four AWS member names), None = no configuration. New
    # buckets block everything, as AWS does since April 2023.
    public_access_block = models.JSONField(null=True, blank=True, default=default_public_access_block)
    # Object Ownership ("" = no ownership controls, which behaves as ObjectWriter).
    # BucketOwnerEnforced (ACLs disabled) is AWS's default since April 2023.
    object_ownership = models.CharField(max_length=32, blank=True, default="BucketOwnerEnforced")
    # The bucket's TagSet ([{"Key": ..., "Value": ...}]), None = no tag set.
    tags = models.JSONField(null=True, blank=True)

    @property
    def arn(self):
        return f"arn:aws:s3:::{self.name}"


class Object(models.Model):
    """The current version of one key. Its bytes are in this row when small (``inline``),
    else in a file under the var dir (``blob``), written completely and verified before
    this row points at it (s3.storage)."""

    # No index of its own: the unique (bucket, key) index leads with it, and every index
    # is one more page that each PutObject writes to the WAL.
    bucket = models.ForeignKey(Bucket, on_delete=models.CASCADE, related_name="stored_objects", db_index=False)
    key = KeyField()
    size = models.BigIntegerField()
    etag = models.CharField(max_length=64)  # without the quotes S3 puts around it
    last_modified = models.DateTimeField()
    # The account that wrote the object (its owner unless the bucket enforces ownership).
    owner_account_id = models.CharField(max_length=12)
    content_type = models.CharField(max_length=1024, default="binary/octet-stream")
    # Content-Encoding, Content-Disposition, Cache-Control, Content-Language, Expires as sent.
    system_metadata = models.JSONField(default=dict)
    metadata = models.JSONField(default=dict)  # x-amz-meta-*
    # The additional checksum S3 stored for the object ("CRC32", base64 value), if any.
    checksum_algorithm = models.CharField(max_length=16, blank=True)
    checksum_value = models.CharField(max_length=128, blank=True)
    checksum_type = models.CharField(max_length=16, blank=True)  # FULL_OBJECT or COMPOSITE
    parts_count = models.IntegerField(null=True)
    blob = models.CharField(max_length=64)  # "" when the bytes are inline
    inline = models.BinaryField(null=True)
    # The object ACL's grants as s3.acl stores them; None = its owner's FULL_CONTROL.
    acl = models.JSONField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bucket", "key"], name="s3_object_key")]

    @property
    def arn(self):
        return f"arn:aws:s3:::{self.bucket.name}/{self.key}"


class MultipartUpload(models.Model):
    upload_id = models.CharField(max_length=128, unique=True)
    bucket = models.ForeignKey(Bucket, on_delete=models.CASCADE, related_name="uploads")
    key = KeyField()
    initiated = models.DateTimeField()
    # Who started it: ListMultipartUploads shows them as Initiator and Owner.
    initiator_arn = models.CharField(max_length=2048)
    initiator_id = models.CharField(max_length=128)
    owner_account_id = models.CharField(max_length=12)
    content_type = models.CharField(max_length=1024, default="binary/octet-stream")
    system_metadata = models.JSONField(default=dict)
    metadata = models.JSONField(default=dict)
    checksum_algorithm = models.CharField(max_length=16, blank=True)
    checksum_type = models.CharField(max_length=16, blank=True)
    acl = models.JSONField(null=True)  # the ACL the completed object gets

    class Meta:
        indexes = [models.Index(fields=["bucket", "key", "initiated"])]


class Part(models.Model):
    upload = models.ForeignKey(MultipartUpload, on_delete=models.CASCADE, related_name="parts")
    part_number = models.IntegerField()
    size = models.BigIntegerField()
    etag = models.CharField(max_length=32)  # the part's MD5, hex; the object's ETag is built from them
    last_modified = models.DateTimeField()
    checksum_value = models.CharField(max_length=128, blank=True)
    blob = models.CharField(max_length=64)  # as Object's
    inline = models.BinaryField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["upload", "part_number"], name="s3_part_number")]
