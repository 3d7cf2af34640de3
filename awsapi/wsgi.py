"""The WSGI handler the server runs: Django's, with the AWS API door in front.

An API call is answered before the console's middleware chain and Django's
per-request signals run: none of them apply to it (sessions, CSRF, messages, the
console principal), and together they cost about a tenth of a signed call's CPU
budget. Everything else takes Django's own path with the same request object, so a
body read to tell a form POST to / from an unsigned STS call is still there."""

from django.core.handlers.wsgi import WSGIHandler, WSGIRequest

from awsapi.middleware import api_response

_BUILT = "iamlab.request"


class Handler(WSGIHandler):
    def __call__(self, environ, start_response):
        request = WSGIRequest(environ)
        response = api_response(request)
        if response is None:
            environ[_BUILT] = request
            return super().__call__(environ, start_response)
        # Closing the response sends request_finished, which returns a broken or
        # expired database connection, as after any Django request.
        response._handler_class = self.__class__
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return response

    def request_class(self, environ):
        # Where Django's __call__ builds the request: the one built above.
        return environ.pop(_BUILT)
