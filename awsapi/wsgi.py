"""The WSGI handler the server runs: Django's, with the AWS API door in front.

An API call is answered before the console's middleware chain and Django's
per-request signals run: none of them apply to it (sessions, CSRF, messages, the
console principal), and together they cost about a tenth of a signed call's CPU
budget. Everything else takes Django's own path with the same request object, so a
body read to tell a form POST to / from an unsigned STS call is still there."""

from functools import lru_cache

from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.db import close_old_connections
from django.http import HttpRequest

from awsapi.middleware import api_response

_BUILT = "iamlab.request"


def finished():
    """The end of an API call answered here (tests that hold a transaction replace it)."""
    close_old_connections()


@lru_cache(maxsize=256)
def _content_type(value):
    """(content_type, content_params, encoding or None) of a Content-Type, as Django's
    own parsing sets them on a request."""
    probe = HttpRequest()
    HttpRequest._set_content_type_params(probe, {"CONTENT_TYPE": value})
    return probe.content_type, probe.content_params, probe.__dict__.get("_encoding")


class Request(WSGIRequest):
    def _set_content_type_params(self, meta):
        # Django parses Content-Type with the email package on every request; the few
        # values clients send are parsed once.
        content_type, params, encoding = _content_type(meta.get("CONTENT_TYPE", ""))
        self.content_type, self.content_params = content_type, dict(params)
        if encoding is not None:
            self.encoding = encoding


class Handler(WSGIHandler):
    def __call__(self, environ, start_response):
        request = Request(environ)
        response = api_response(request)
        if response is None:
            environ[_BUILT] = request
            return super().__call__(environ, start_response)
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        if response.streaming:
            # Closed by the server once sent (a download): request_finished, as after
            # any Django request, returns a broken or expired database connection.
            response._handler_class = self.__class__
            return response
        # A buffered answer as a list: granian sends a list in one call, where it would
        # call back into Python (and wait for the GIL) for each part of an iterator and
        # for its close: 4% of a GetCallerIdentity's CPU.
        body = [response.content]
        # Nothing is left to send. Of what closing the response would do, sending
        # request_finished, only one receiver's work applies to an API call (it has no
        # cache connection or URLconf of its own to reset), and the signal cost 3.7% of
        # a PutObject's CPU: a broken or expired database connection goes back.
        finished()
        return body

    def request_class(self, environ):
        # Where Django's __call__ builds the request: the one built above.
        return environ.pop(_BUILT)
