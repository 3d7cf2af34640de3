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
from s3.operations.multipart import (  # noqa: F401
    abort_multipart_upload,
    complete_multipart_upload,
    create_multipart_upload,
    list_multipart_uploads,
    list_parts,
    upload_part,
)
from s3.operations.objects import (  # noqa: F401
    copy_object,
    delete_object,
    delete_objects,
    get_object,
    head_object,
    list_objects,
    list_objects_v2,
    put_object,
)
from s3.operations.config import (  # noqa: F401
    check_acl_allowed,
    delete_bucket_ownership_controls,
    delete_bucket_policy,
    delete_bucket_tagging,
    delete_public_access_block,
    get_bucket_acl,
    get_bucket_ownership_controls,
    get_bucket_policy,
    get_bucket_policy_status,
    get_bucket_tagging,
    get_object_acl,
    get_public_access_block,
    object_acl_from_request,
    object_owner_for,
    put_bucket_acl,
    put_bucket_ownership_controls,
    put_bucket_policy,
    put_bucket_tagging,
    put_object_acl,
    put_public_access_block,
)
