from django.urls import include, path

from console import views

urlpatterns = [
    path("", views.root, name="root"),
    path("signin", views.signin_view, name="signin"),
    path("signin/root", views.signin_root, name="signin-root"),
    path("signin/iam", views.signin_iam, name="signin-iam"),
    path("signin/mfa", views.signin_mfa, name="signin-mfa"),
    path("signin/change-password", views.change_password_required, name="change-password-required"),
    path("signout", views.signout, name="signout"),
    path("console/home", views.home, name="home"),
    path("iam/", include("iam.urls")),
    path("cloudtrail/", include("trail.urls")),
    path("s3/", include("s3.urls")),
]

handler404 = "console.errors.not_found"
handler500 = "console.errors.server_error"
