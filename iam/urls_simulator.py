"""URL patterns of the IAM console's simulator pages (included by iam/urls.py)."""

from django.urls import path

from iam import views_simulator

urlpatterns = [
    path("policy-simulator", views_simulator.policy_simulator, name="policy-simulator"),
]
