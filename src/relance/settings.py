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
    "relance.people",
    "relance.followups",
    "relance.messaging",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
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
            ]
        },
    }
]

DATABASES = {"default": config.database(os.environ.get("DATABASE_URL"), DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "people.Recruiter"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# The address candidates' links point to (talent-pool and consent pages, unsubscribe).
RELANCE_BASE_URL = os.environ.get("RELANCE_BASE_URL", "http://localhost:8000").rstrip("/")

# The domain of the Message-IDs of the e-mails Relance writes (default: the base URL's host).
RELANCE_MAIL_DOMAIN = os.environ.get("RELANCE_MAIL_DOMAIN") or (
    urlsplit(RELANCE_BASE_URL).hostname or "localhost"
)

# Sending e-mail: any Django backend (django-anymail's for a provider); SMTP by default.
EMAIL_BACKEND = os.environ.get(
    "RELANCE_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("RELANCE_SMTP_HOST", "localhost")
EMAIL_PORT = config.env_int("RELANCE_SMTP_PORT", 25)
EMAIL_HOST_USER = os.environ.get("RELANCE_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("RELANCE_SMTP_PASSWORD", "")
_SECURITY = config.env_choice("RELANCE_SMTP_SECURITY", "none", ("none", "starttls", "ssl"))
EMAIL_USE_TLS = _SECURITY == "starttls"
EMAIL_USE_SSL = _SECURITY == "ssl"
EMAIL_TIMEOUT = config.env_int("RELANCE_SMTP_TIMEOUT", 30)
# A provider's settings for django-anymail, from ANYMAIL_* variables:
# ANYMAIL_BREVO_API_KEY=… becomes ANYMAIL["BREVO_API_KEY"].
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_")
}
DEFAULT_FROM_EMAIL = os.environ.get("RELANCE_FROM_EMAIL", f"relance@{RELANCE_MAIL_DOMAIN}")

# The key that encrypts stored credentials (mailbox passwords); see relance/crypto.py.
RELANCE_ENCRYPTION_KEY = os.environ.get("RELANCE_ENCRYPTION_KEY", "")

# How long a worker holds an outbox row before another may take it back (seconds).
RELANCE_OUTBOX_LEASE_SECONDS = config.env_int("RELANCE_OUTBOX_LEASE_SECONDS", 300)

# Limits of the installation's relay, for recruiters without a sending identity of their
# own (0: none; a sender's own limits are set with `relance sender add`).
RELANCE_SEND_PER_MINUTE = config.env_int("RELANCE_SEND_PER_MINUTE", 0)
RELANCE_SEND_PER_DAY = config.env_int("RELANCE_SEND_PER_DAY", 0)
RELANCE_SEND_PER_DOMAIN_PER_MINUTE = config.env_int("RELANCE_SEND_PER_DOMAIN_PER_MINUTE", 0)
