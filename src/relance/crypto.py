"""Credentials at rest (mailbox passwords): encrypted with a key from the environment.

RELANCE_ENCRYPTION_KEY is a Fernet key (`python -c "from cryptography.fernet import
Fernet; print(Fernet.generate_key().decode())"`). Without it, a key is derived from the
secret key, which is fine on one machine; set it when the database travels without the
data directory.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from relance.errors import InputError


class SecretError(InputError):
    pass


def _fernet() -> Fernet:
    key = settings.RELANCE_ENCRYPTION_KEY
    if not key:
        digest = hashlib.sha256(("relance-credentials:" + settings.SECRET_KEY).encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    try:
        return Fernet(key)
    except ValueError:
        raise SecretError(
            "RELANCE_ENCRYPTION_KEY: expected a Fernet key (32 bytes, url-safe base64)"
        ) from None


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretError(
            "a stored credential cannot be decrypted: RELANCE_ENCRYPTION_KEY (or the secret "
            "key) is not the one it was stored with"
        ) from None
