from django.urls import include, path

from iam import views, views_access_keys, views_mfa, views_users

app_name = "iam"
urlpatterns = [
    path("home", views.dashboard, name="dashboard"),
    path("account-alias", views.account_alias, name="account-alias"),
    path("account-settings", views.account_settings, name="account-settings"),
    path("account-settings/password-policy/edit", views.edit_password_policy, name="edit-password-policy"),
    path("security-credentials", views.security_credentials, name="security-credentials"),
    path("security-credentials/access-keys/create", views_access_keys.create_access_key, name="own-create-access-key"),
    path("security-credentials/access-keys/update", views_access_keys.update_access_key, name="own-update-access-key"),
    path("security-credentials/access-keys/delete", views_access_keys.delete_access_key, name="own-delete-access-key"),
    path("security-credentials/mfa/assign", views_mfa.assign_mfa, name="own-assign-mfa"),
    path("security-credentials/mfa/remove", views_mfa.remove_mfa, name="own-remove-mfa"),
    path("security-credentials/mfa/resync", views_mfa.resync_mfa, name="own-resync-mfa"),
    path("users", views_users.users, name="users"),
    path("users/create", views_users.create_user, name="create-user"),
    path("users/details/<str:user_name>", views_users.user_detail, name="user-detail"),
    path("users/details/<str:user_name>/console-access", views_users.console_access, name="user-console-access"),
    path("users/details/<str:user_name>/delete", views_users.delete_user, name="user-delete"),
    path(
        "users/details/<str:user_name>/access-keys/create",
        views_access_keys.create_access_key,
        name="user-create-access-key",
    ),
    path(
        "users/details/<str:user_name>/access-keys/update",
        views_access_keys.update_access_key,
        name="user-update-access-key",
    ),
    path(
        "users/details/<str:user_name>/access-keys/delete",
        views_access_keys.delete_access_key,
        name="user-delete-access-key",
    ),
    path("users/details/<str:user_name>/mfa/assign", views_mfa.assign_mfa, name="user-assign-mfa"),
    path("users/details/<str:user_name>/mfa/remove", views_mfa.remove_mfa, name="user-remove-mfa"),
    path("users/details/<str:user_name>/mfa/resync", views_mfa.resync_mfa, name="user-resync-mfa"),
    path("", include("iam.urls_groups")),
    path("", include("iam.urls_policies")),
    path("", include("iam.urls_roles")),
    path("", include("iam.urls_simulator")),
]
