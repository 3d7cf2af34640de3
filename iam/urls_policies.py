"""URL patterns of the IAM console's policies pages (included by iam/urls.py).

A policy is named by its ARN, as in the AWS console's addresses. ARNs hold "/" (the
path), so the verb comes before the ARN: ``policies/edit/arn:aws:iam::...``."""

from django.urls import path, re_path

from iam import views_policies

ARN = r"(?P<arn>arn:.+)"

urlpatterns = [
    path("policies", views_policies.policies, name="policies"),
    path("policies/create", views_policies.create_policy, name="create-policy"),
    re_path(rf"^policies/edit/{ARN}$", views_policies.edit_policy, name="policy-edit"),
    re_path(rf"^policies/delete/{ARN}$", views_policies.delete_policy, name="policy-delete"),
    re_path(rf"^policies/versions/{ARN}$", views_policies.policy_versions, name="policy-versions"),
    re_path(rf"^policies/{ARN}$", views_policies.policy_detail, name="policy-detail"),
]
