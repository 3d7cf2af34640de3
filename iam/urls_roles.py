"""URL patterns of the IAM console's roles pages (included by iam/urls.py)."""

from django.urls import path

from iam import views_roles

urlpatterns = [
    path("roles", views_roles.roles, name="roles"),
    path("roles/create", views_roles.create_role, name="create-role"),
    path("roles/details/<str:role_name>", views_roles.role_detail, name="role-detail"),
    path("roles/details/<str:role_name>/trust-policy/edit", views_roles.edit_trust_policy, name="role-edit-trust-policy"),
    path("roles/details/<str:role_name>/inline-policy/create", views_roles.create_inline_policy, name="role-create-inline-policy"),
    path("roles/details/<str:role_name>/inline-policy/delete", views_roles.delete_inline_policy, name="role-delete-inline-policy"),
    path("roles/details/<str:role_name>/attach-policies", views_roles.attach_policies, name="role-attach-policies"),
    path("roles/details/<str:role_name>/detach-policy", views_roles.detach_policy, name="role-detach-policy"),
    path("roles/details/<str:role_name>/permissions-boundary", views_roles.permissions_boundary, name="role-permissions-boundary"),
    path("roles/details/<str:role_name>/tags", views_roles.tags, name="role-tags"),
    path("roles/details/<str:role_name>/delete", views_roles.delete_role, name="role-delete"),
]
