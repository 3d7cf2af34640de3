from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from console import session

PUBLIC_PREFIXES = ("/signin", "/static/", "/favicon.ico")
PASSWORD_CHANGE_PATHS = ("/signin/change-password", "/signout")


def security_headers(get_response):
    """Content-Security-Policy (no inline script) and Secure cookies behind HTTPS."""
    from django.conf import settings

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        if request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response

    return middleware


def console_principal(get_response):
    """Attach the signed-in principal; send signed-out visitors to the sign-in page (and
    back afterwards), and a user who must change their password to that page only."""

    def middleware(request):
        request.principal, request.console_session = session.load(request)
        path = request.path
        if request.principal is None:
            if not path.startswith(PUBLIC_PREFIXES):
                return redirect(reverse("signin") + "?" + urlencode({"redirect_uri": request.get_full_path()}))
        elif request.console_session.get("password_change") and not path.startswith(
            PASSWORD_CHANGE_PATHS + ("/static/",)
        ):
            return redirect("change-password-required")
        return get_response(request)

    return middleware
