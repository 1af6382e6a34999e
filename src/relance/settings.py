"""Relance's only settings file. Every value comes from the environment and has a default
that works with no configuration at all (see docs/configuration.md)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from relance import config

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()

SECRET_KEY = config.secret_key(DATA_DIR)
DEBUG = config.env_bool("RELANCE_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("RELANCE_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "axes",
    "relance.people",
    "relance.followups",
    "relance.messaging",
    "relance.pools",
    "relance.intake",
    "relance.imports",
    "relance.api",
    "relance.hooks",
    "relance.matching",
    "relance.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "relance.web.middleware.organisation_time",
    # While no organisation exists, the recruiters' pages lead to the first-run page.
    "relance.web.first_run.FirstRun",
    "relance.messaging.webhooks.KeepWhatCannotBeParsed",
    # Last, as django-axes asks: it turns a locked-out sign-in into its own response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # throttles sign-in attempts first
    "relance.web.signin.EmailBackend",  # the e-mail, whatever its case, and the password
]
# Five failed sign-ins from one address for one account lock that pair out for 15 minutes.
AXES_FAILURE_LIMIT = config.env_int("RELANCE_LOGIN_FAILURE_LIMIT", 5, low=1, high=1000)
AXES_COOLOFF_TIME = config.env_int("RELANCE_LOGIN_COOLOFF_MINUTES", 15, low=1, high=10_080) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the sign-in form's field (it holds the e-mail)
# The account is the e-mail in lower case (Alice@ and alice@ are one account, locked out
# together), and the address is REMOTE_ADDR: the client's own, which waitress takes from
# X-Forwarded-For only on connections from RELANCE_TRUSTED_PROXY (relance/web/serve.py).
AXES_USERNAME_CALLABLE = "relance.web.signin.throttled_username"
AXES_CLIENT_IP_CALLABLE = "relance.web.signin.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:today"
LOGOUT_REDIRECT_URL = "web:login"

STATIC_URL = "/static/"
# Every asset ships inside the package and is served by the app (no CDN): WhiteNoise
# finds them where they are, so no collectstatic step is needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Content-Security-Policy: our own scripts, styles and images only; no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# Production behind HTTPS (RELANCE_HTTPS=true): secure cookies, HSTS, redirect to HTTPS.
HTTPS = config.env_bool("RELANCE_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS  # the directive only; submitting the domain is the deployer's choice
# Behind the TLS proxy, waitress sets the request's scheme from X-Forwarded-Proto, and only
# on connections from the trusted proxy (relance/web/serve.py); Django reads the scheme,
# never the header (which anyone could send). `check --deploy` warns when RELANCE_HTTPS is
# on without a trusted proxy: every page would redirect to https:// forever.
SECURE_PROXY_SSL_HEADER = None
RELANCE_TRUSTED_PROXY = config.trusted_proxy()
RELANCE_TRUSTED_PROXY_COUNT = config.trusted_proxy_count(RELANCE_TRUSTED_PROXY)
RELANCE_TRUSTED_PROXY_HEADERS = config.trusted_proxy_headers(RELANCE_TRUSTED_PROXY)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("RELANCE_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

ROOT_URLCONF = "relance.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "relance.web.context.navigation",
            ]
        },
    }
]

DATABASES = {"default": config.database(os.environ.get("DATABASE_URL"), DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "people.Recruiter"

LANGUAGE_CODE = "fr"
# What the command prints in (fr or en; refused otherwise). Pages follow the browser.
RELANCE_LANGUAGE = config.language()
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# The web app's clock starts at this instant (ISO 8601) and runs on from there: the demo
# sets it so that a newcomer at night still works a morning's agenda. Empty: real time.
RELANCE_CLOCK_START = os.environ.get("RELANCE_CLOCK_START", "")

# The address candidates' links point to (talent-pool and consent pages, unsubscribe).
RELANCE_BASE_URL = config.base_url("RELANCE_BASE_URL", "http://localhost:8000")

# The domain of the Message-IDs of the e-mails Relance writes (default: the base URL's host).
RELANCE_MAIL_DOMAIN = os.environ.get("RELANCE_MAIL_DOMAIN") or (
    urlsplit(RELANCE_BASE_URL).hostname or "localhost"
)

# Sending e-mail: any Django backend (django-anymail's for a provider); SMTP by default.
EMAIL_BACKEND = os.environ.get(
    "RELANCE_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("RELANCE_SMTP_HOST", "localhost")
EMAIL_PORT = config.env_int("RELANCE_SMTP_PORT", 25, low=1, high=65535)
EMAIL_HOST_USER = os.environ.get("RELANCE_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("RELANCE_SMTP_PASSWORD", "")
_SECURITY = config.env_choice("RELANCE_SMTP_SECURITY", "none", ("none", "starttls", "ssl"))
EMAIL_USE_TLS = _SECURITY == "starttls"
EMAIL_USE_SSL = _SECURITY == "ssl"
EMAIL_TIMEOUT = config.env_int("RELANCE_SMTP_TIMEOUT", 30, low=1, high=3600)
# A provider's settings for django-anymail, from ANYMAIL_* variables:
# ANYMAIL_BREVO_API_KEY=… becomes ANYMAIL["BREVO_API_KEY"].
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_")
}
DEFAULT_FROM_EMAIL = config.email_address("RELANCE_FROM_EMAIL", f"relance@{RELANCE_MAIL_DOMAIN}")

# The key that encrypts stored credentials (mailbox passwords); see relance/crypto.py.
RELANCE_ENCRYPTION_KEY = os.environ.get("RELANCE_ENCRYPTION_KEY", "")

# How long a worker holds an outbox row before another may take it back (seconds).
RELANCE_OUTBOX_LEASE_SECONDS = config.env_int(
    "RELANCE_OUTBOX_LEASE_SECONDS", 300, low=1, high=86_400
)
# How long an `uncertain` e-mail waits before it is looked for in its sender's Sent folder:
# a provider may file what it accepted there seconds or minutes later, and a message not
# found yet must not be taken for one that never left (seconds).
RELANCE_UNCERTAIN_SETTLE_SECONDS = config.env_int(
    "RELANCE_UNCERTAIN_SETTLE_SECONDS", 600, low=0, high=7 * 86_400
)

# Limits of the installation's relay, for recruiters without a sending identity of their
# own (0: none; a sender's own limits are set with `relance sender add`).
RELANCE_SEND_PER_MINUTE = config.env_int("RELANCE_SEND_PER_MINUTE", 0, low=0)
RELANCE_SEND_PER_DAY = config.env_int("RELANCE_SEND_PER_DAY", 0, low=0)
RELANCE_SEND_PER_DOMAIN_PER_MINUTE = config.env_int("RELANCE_SEND_PER_DOMAIN_PER_MINUTE", 0, low=0)

# Files (CVs) go through Django's storage API: a folder under the data directory by default
# (RELANCE_FILES_DIR), readable by Relance's user only. Another backend (S3-compatible
# storage) is a change of STORAGES["default"]; nothing else reads paths.
RELANCE_FILES_DIR = Path(os.environ.get("RELANCE_FILES_DIR") or DATA_DIR / "files")
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(RELANCE_FILES_DIR),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The largest CV accepted (megabytes), on the candidate page and the public apply form: a
# larger upload is read to its end but never kept (relance/intake/uploads.py).
RELANCE_CV_MAX_BYTES = config.env_int("RELANCE_CV_MAX_MB", 10, low=1, high=100) * 1024 * 1024
FILE_UPLOAD_HANDLERS = ["relance.intake.uploads.LimitedUpload"]
# The largest file of people imported at once (megabytes): refused from its size, before
# it is read (relance/imports/reader.py).
RELANCE_IMPORT_MAX_BYTES = (
    config.env_int("RELANCE_IMPORT_MAX_MB", 50, low=1, high=1000) * 1024 * 1024
)
# The public forms (apply, talent-pool sign-up): submissions per hour from one e-mail
# address, and from one client address (REMOTE_ADDR, the trusted proxy's forwarded one).
RELANCE_PUBLIC_FORM_PER_ADDRESS = config.env_int(
    "RELANCE_PUBLIC_FORM_PER_ADDRESS", 3, low=1, high=1000
)
RELANCE_PUBLIC_FORM_PER_IP = config.env_int("RELANCE_PUBLIC_FORM_PER_IP", 20, low=1, high=100_000)

# The REST API (relance/api): requests per API key per minute, counted in the database so
# that every process shares the count (relance/api/guard.py); 0 switches the limit off.
RELANCE_API_RATE_LIMIT = config.env_int("RELANCE_API_RATE_LIMIT", 600, low=0, high=1_000_000)

# Webhooks out (relance/hooks, docs/webhooks.md): endpoints that resolve to loopback,
# private or link-local addresses are refused unless this is on (a receiver on the same
# network; the tests), and so is plain http://. The time one delivery may take, in all.
RELANCE_WEBHOOKS_ALLOW_PRIVATE = config.env_bool("RELANCE_WEBHOOKS_ALLOW_PRIVATE", False)
RELANCE_WEBHOOK_TIMEOUT_SECONDS = config.env_int(
    "RELANCE_WEBHOOK_TIMEOUT_SECONDS", 10, low=1, high=60
)
