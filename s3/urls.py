from django.urls import path

from s3 import views, views_objects, views_permissions

app_name = "s3"
# "bucket/create" is singular, as on AWS: "buckets/create" would hide a bucket named
# "create" (a valid name) behind the Create bucket page.
urlpatterns = [
    path("", views.index, name="index"),
    path("buckets", views.buckets, name="buckets"),
    path("bucket/create", views.create_bucket, name="create-bucket"),
    path("bucket/actions", views.bucket_actions, name="bucket-actions"),
    path("buckets/<str:name>", views.bucket_detail, name="bucket-detail"),
    path("buckets/<str:name>/delete", views.delete_bucket, name="delete-bucket"),
    path("buckets/<str:name>/empty", views.empty_bucket, name="empty-bucket"),
    path("buckets/<str:name>/tags/edit", views.edit_tags, name="edit-tags"),
    path("buckets/<str:bucket>/upload", views_objects.upload, name="upload"),
    path("buckets/<str:bucket>/create-folder", views_objects.create_folder, name="create-folder"),
    path("buckets/<str:bucket>/delete-objects", views_objects.delete_objects, name="delete-objects"),
    path(
        "buckets/<str:name>/block-public-access/edit",
        views_permissions.edit_block_public_access,
        name="edit-block-public-access",
    ),
    path("buckets/<str:name>/policy/edit", views_permissions.edit_policy, name="edit-policy"),
    path("buckets/<str:name>/policy/delete", views_permissions.delete_policy, name="delete-policy"),
    path("buckets/<str:name>/object-ownership/edit", views_permissions.edit_ownership, name="edit-ownership"),
    path("object/<str:bucket>", views_objects.object_detail, name="object-detail"),
    path("object/<str:bucket>/download", views_objects.download, name="download"),
]
