"""Console password hashes computed before the write transaction.

An Argon2 hash or verification takes about 0.1 s of CPU and 100 MiB (Django's
parameters). ChangePassword verifies the old password, checks the new one against up to
24 earlier ones (the policy's PasswordReusePrevention) and hashes it: inside its
transaction that held SQLite's single write lock — every write of every user of the
instance — for up to 2.7 s. So the operations' ``prepare`` step (run after
authorization, before the transaction) does that work ahead, and the operation, running
as before in its transaction, finds each result here: same checks in the same order,
same errors, no hash under the lock. A result not known ahead (the stored password
changed meanwhile) is computed there, as before.
"""

from contextvars import ContextVar

from django.contrib.auth.hashers import check_password, make_password

_AHEAD = ContextVar("iamlab_password_work_ahead", default=None)


def hash_password(password):
    """The hash to store for a new console password."""
    ahead = _AHEAD.get()
    if ahead is not None and password in ahead[0]:
        return ahead[0][password]
    return make_password(password)


def password_matches(password, encoded):
    ahead = _AHEAD.get()
    if ahead is not None and (password, encoded) in ahead[1]:
        return ahead[1][(password, encoded)]
    return check_password(password, encoded)


def work_ahead(new_passwords=(), checks=(), known=None):
    """Hash ``new_passwords`` and verify ``checks`` ((password, encoded) pairs) now, for
    this call's operation, with ``known`` results of checks already made; returns the
    function that forgets them (secrets are not kept past the call)."""
    hashes = {password: make_password(password) for password in new_passwords}
    verified = dict(known or {})
    for password, encoded in checks:
        verified[(password, encoded)] = check_password(password, encoded)
    token = _AHEAD.set((hashes, verified))

    def forget():
        _AHEAD.reset(token)
        hashes.clear()
        verified.clear()

    return forget
