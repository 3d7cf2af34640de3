"""URL patterns of the IAM console's groups pages (included by iam/urls.py)."""

from django.urls import path

from iam import views_groups

urlpatterns = [
    path("groups", views_groups.groups, name="groups"),
    path("groups/create", views_groups.create_group, name="create-group"),
    path("groups/details/<str:group_name>", views_groups.group_detail, name="group-detail"),
    path("groups/details/<str:group_name>/add-users", views_groups.add_users, name="group-add-users"),
    path("groups/details/<str:group_name>/remove-users", views_groups.remove_users, name="group-remove-users"),
    path("groups/details/<str:group_name>/attach-policies", views_groups.attach_policies, name="group-attach-policies"),
    path("groups/details/<str:group_name>/detach-policies", views_groups.detach_policies, name="group-detach-policies"),
    path("groups/details/<str:group_name>/inline-policies/create", views_groups.create_inline_policy, name="group-create-inline-policy"),
    path(
        "groups/details/<str:group_name>/inline-policies/<str:policy_name>/delete",
        views_groups.delete_inline_policy,
        name="group-delete-inline-policy",
    ),
    path("groups/details/<str:group_name>/delete", views_groups.delete_group, name="group-delete"),
]
