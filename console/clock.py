"""The one clock: TOTP, STS expiry, SigV4 skew, sign-in throttling and trail time all
read it, so a test can move time for all of them at once by patching ``now``.
Callers must write ``clock.now()`` (not ``from console.clock import now``)."""

from datetime import datetime, timezone


def now():
    # Whole seconds, as AWS's timestamps are (CreateDate, eventTime, Expiration).
    return datetime.now(timezone.utc).replace(microsecond=0)
