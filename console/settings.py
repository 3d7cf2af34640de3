"""Settings for iamlab, read from the environment.

IAMLAB_VAR_DIR holds everything an instance owns (database, stored objects, generated
keys), so pointing it at a fresh folder gives a fully isolated instance.
"""

import os
import secrets
import tempfile
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def envlist(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def private_directory(path):
    """Make ``path`` a directory only its owner can enter: the var dir's database holds
    password hashes, the event history and small objects' bytes, in files the umask
    leaves readable by every local user of an instructor's machine. A var dir made before
    this rule is closed too; one the server may not change (another user's) is left as
    its owner set it, with a warning."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        try:
            path.chmod(0o700)
        except PermissionError:
            warnings.warn(f"{path} is open to other local users and could not be made private (chmod 700)")


VAR_DIR = Path(os.environ.get("IAMLAB_VAR_DIR") or BASE_DIR / "var").resolve()
private_directory(VAR_DIR)


def generated_secret(name, env_name, make):
    """Return the secret from the environment, else from VAR_DIR, creating it once.

    Created with O_EXCL and mode 0600 so two workers starting together agree on one
    value and no other local user can read it.
    """
    value = os.environ.get(env_name)
    if value:
        return value
    path = VAR_DIR / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        value = make()
        f.write(value + "\n")
    return value


SECRET_KEY = generated_secret("secret-key", "SECRET_KEY", lambda: secrets.token_urlsafe(50))
# AES-256-GCM key for secrets that must be recoverable (secret access keys, TOTP seeds).
IAMLAB_ENCRYPTION_KEY = generated_secret(
    "encryption-key", "IAMLAB_ENCRYPTION_KEY", lambda: secrets.token_urlsafe(32)
)

DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "console",
    "iam",
    "s3",
    "sts",
    "trail",
]

MIDDLEWARE = [
    "awsapi.middleware.aws_api",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "console.middleware.security_headers",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "console.middleware.console_principal",
]

ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "console.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.messages.context_processors.messages",
                "console.context_processors.console",
            ],
        },
    },
]


def database_from_url(url):
    """Translate DATABASE_URL (sqlite:///path or postgres://user:pass@host:port/name)."""
    parts = urlsplit(url)
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
        }
    if parts.scheme == "sqlite":
        # sqlite:////abs/path.db is absolute, sqlite:///rel.db relative (dj-database-url's form).
        return sqlite_database(unquote(parts.path[1:]) or ":memory:")
    raise ValueError(f"DATABASE_URL scheme {parts.scheme!r} is not supported (use sqlite:// or postgres://)")


def sqlite_database(name):
    return {
        "ENGINE": "console.sqlite",
        "NAME": name,
        "CONN_MAX_AGE": 600,
        "OPTIONS": {
            # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at
            # BEGIN so concurrent writers queue instead of failing with "database is locked".
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        },
        # Tests get a file too, not Django's shared in-memory database, whose table locks
        # fail at once when the live server serves concurrent requests (aws s3 sync, cp).
        "TEST": {"NAME": os.path.join(tempfile.gettempdir(), f"iamlab-test-{os.getpid()}.sqlite3")},
    }


if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    DATABASES = {"default": sqlite_database(str(VAR_DIR / "iamlab.sqlite3"))}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2id for every stored password (root and IAM user console passwords).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_NAME = "iamlab-session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# AWS console sessions last at most 12 hours; the session is not extended on use.
SESSION_COOKIE_AGE = 12 * 60 * 60
CONSOLE_SESSION_MAX_SECONDS = SESSION_COOKIE_AGE
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "console.views.csrf_failure"
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto; cookies then get Secure.
if envbool("IAMLAB_TRUST_X_FORWARDED_PROTO"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the source tree too, so a test server needs no collectstatic.
WHITENOISE_USE_FINDERS = True

# Events of calls that change nothing are written by a per-process thread in batches, at
# most this many seconds after the answer (trail/writer.py); 0 writes them before the
# answer. The server (`python -m console.serve`) defaults to write-behind, tests and
# management commands to writing at once.
TRAIL_WRITE_BEHIND_SECONDS = float(
    os.environ.get("IAMLAB_TRAIL_WRITE_BEHIND_SECONDS") or ("0.05" if os.environ.get("IAMLAB_SERVING") == "1" else "0")
)
# A write's event is committed with its change at once, and enters LookupEvents' attribute
# indexes (with its resource rows) from the same thread, in one transaction for all the
# writes of at most this many seconds (never sooner than the write-behind): in-process,
# 42 events a batch held the write lock 38 µs an event, 167 a batch 27. A lookup by an
# attribute enters whatever is still pending first, whichever process wrote it.
TRAIL_LOOKUP_INDEX_SECONDS = float(
    os.environ.get("IAMLAB_TRAIL_LOOKUP_INDEX_SECONDS") or ("0.25" if os.environ.get("IAMLAB_SERVING") == "1" else "0")
)

# Sign-in throttling: this many failures for one principal within the window lock out
# further attempts from browsers that have not signed in as that principal before.
SIGNIN_FAILURE_LIMIT = 5
SIGNIN_FAILURE_WINDOW_SECONDS = 15 * 60

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # AWS errors (403 AccessDenied, 404 NoSuchEntity...) are answers, not server faults.
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False}},
}
