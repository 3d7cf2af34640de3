"""Running an AWS action from a console view: the one place views call the dispatcher."""

from awsapi.dispatch import dispatch
from awsapi.errors import AWSError
from console.session import request_context


def run(request, action, params=None, ctx=None):
    """Dispatch ``action`` as the signed-in principal: ``(result, None)`` or ``(None, error)``.
    ``ctx``: the request's context, when the view needs its request ID.

    The error's message is AWS's own text, for a form error or a red flash."""
    try:
        return dispatch(ctx or request_context(request), action, params or {}), None
    except AWSError as error:
        return None, error
