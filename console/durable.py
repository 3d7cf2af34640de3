"""Writes that must survive the rollback of the request's transaction.

The dispatcher runs each write action in one transaction, so a refused call leaves
nothing behind. Some records must stay precisely when the call is refused: a failed
MFA code counts toward its device's throttle, or codes could be guessed without limit
through any write action (AssumeRole with SerialNumber, EnableMFADevice...). Such writes
go through ``write``: inside ``deferred()`` they run after the transaction has ended,
committed or rolled back; elsewhere they run at once."""

from contextlib import contextmanager
from contextvars import ContextVar

_pending = ContextVar("durable_writes", default=None)


def write(func):
    pending = _pending.get()
    if pending is None:
        func()
    else:
        pending.append(func)


@contextmanager
def deferred():
    """Collect durable writes made inside; run them when the block is left, however."""
    token = _pending.set([])
    try:
        yield
    finally:
        pending = _pending.get()
        _pending.reset(token)
        for func in pending:
            func()
