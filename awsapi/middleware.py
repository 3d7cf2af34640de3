"""Routes AWS API requests to the API door before sessions, CSRF and the console see
them (DESIGN.md, "The wire"): a request is an API call when it carries a SigV4
Authorization header or X-Amz-Credential query parameter, an X-Amz-Target header, or is
a form POST to / with an Action (unsigned STS federation calls)."""

from awsapi.views import api


def is_api_request(request):
    meta = request.META
    if meta.get("HTTP_AUTHORIZATION", "").startswith("AWS4-HMAC-SHA256"):
        return True
    if "X-Amz-Credential" in meta.get("QUERY_STRING", ""):
        return True
    if "HTTP_X_AMZ_TARGET" in meta:
        return True
    return (
        request.method == "POST"
        and request.path == "/"
        and meta.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
        and b"Action=" in request.body[:65536]
    )


def aws_api(get_response):
    def middleware(request):
        if is_api_request(request):
            return api(request)
        return get_response(request)

    return middleware
