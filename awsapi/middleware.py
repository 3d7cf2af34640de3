"""Routes AWS API requests to the API door before sessions, CSRF and the console see
them (DESIGN.md, "The wire"): a request is an API call when it carries a SigV4
Authorization header or X-Amz-Credential query parameter, an X-Amz-Target header, or is
a form POST to / with an Action (unsigned STS federation calls). Any other request for a
path outside the console's own top-level names is an S3 request for a bucket, unsigned
(anonymous, or a SigV2 presigned URL)."""

from awsapi.views import api
from s3.operations.buckets import RESERVED_NAMES


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


def is_bucket_path(path):
    first = path.lstrip("/").split("/", 1)[0]
    return bool(first) and first not in RESERVED_NAMES


def sized(request, response):
    """Give a buffered answer its Content-Length, as AWS does: without one a server may
    send it chunked, one more write and TCP segment on every call (the API skips
    CommonMiddleware, which would set it). HEAD, 204 and 304 answers keep their headers."""
    if (
        not response.streaming
        and request.method != "HEAD"
        and response.status_code not in (204, 304)
        and not response.has_header("Content-Length")
    ):
        response.headers["Content-Length"] = str(len(response.content))
    return response


def api_response(request):
    """The answer to an AWS API request; None for a console request."""
    if is_api_request(request):
        return sized(request, api(request))
    if is_bucket_path(request.path):
        return sized(request, api(request, anonymous_s3=True))
    return None


def aws_api(get_response):
    """The API door as middleware, for servers that run Django's own handler (runserver,
    the test server); `python -m console.serve` answers API calls before it
    (awsapi/wsgi.py)."""

    def middleware(request):
        response = api_response(request)
        return get_response(request) if response is None else response

    return middleware
