"""Standard Webhooks signatures (https://www.standardwebhooks.com).

Each request carries `webhook-id` (the event's id, the same on every attempt),
`webhook-timestamp` (the attempt's time, integer seconds since the epoch) and
`webhook-signature`: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` for each live
secret, separated by spaces (two during a rotation). A secret is `whsec_` followed by the
base64 of its random bytes; the HMAC key is those bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, event_id: str, timestamp: int, body: str) -> str:
    signed = f"{event_id}.{timestamp}.{body}".encode()
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(live_secrets: list[str], event_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three headers of one attempt, signed with every live secret (newest first)."""
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(secret, event_id, timestamp, body) for secret in live_secrets
        ),
    }
