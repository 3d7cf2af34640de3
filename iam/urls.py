from django.urls import path

from iam import views

app_name = "iam"
urlpatterns = [
    path("home", views.dashboard, name="dashboard"),
    path("account-settings", views.account_settings, name="account-settings"),
    path("account-settings/password-policy/edit", views.edit_password_policy, name="edit-password-policy"),
    path("security-credentials", views.security_credentials, name="security-credentials"),
]
