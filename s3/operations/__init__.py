"""S3 actions, one function each, named after the AWS action: buckets, objects, multipart
uploads, and bucket configuration (policy, ACLs, Block Public Access, tagging)."""

from s3.operations.buckets import (  # noqa: F401
    canonical_user_id,
    create_bucket,
    delete_bucket,
    get_bucket_location,
    head_bucket,
    list_buckets,
    valid_bucket_name,
)
