"""Checks of a production deployment, run by `relance manage check --deploy` beside
Django's own: HTTPS behind a proxy the web app does not trust loops forever, and links in
candidates' e-mails to localhost or plain http are broken or unsafe."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

from relance import config


@register(Tags.security, deploy=True)
def https_behind_a_trusted_proxy(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    if not settings.HTTPS or settings.RELANCE_TRUSTED_PROXY:
        return []
    return [
        Warning(
            "RELANCE_HTTPS is on but no trusted proxy is set: the web app ignores the TLS "
            "proxy's X-Forwarded-Proto header, sees every request as plain http and "
            "redirects it to https:// forever; and the sign-in throttle sees every client "
            "with the proxy's address, so anyone can lock any recruiter out.",
            hint="Set RELANCE_TRUSTED_PROXY to the proxy's IP address (127.0.0.1 when it runs "
            "on the same machine), and RELANCE_TRUSTED_PROXY_COUNT if several proxies stand "
            "in a row. See docs/web.md.",
            id="relance.W001",
        )
    ]


@register(Tags.security, deploy=True)
def links_reach_candidates(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    problem = config.base_url_problem(settings.RELANCE_BASE_URL)
    if problem is None:
        return []
    why = {
        "localhost": "points at this machine: the links in candidates' e-mails (unsubscribe, "
        "consent, preferences) will not work for them",
        "http": "is not https: the links in candidates' e-mails are not encrypted",
    }[problem]
    return [
        Warning(
            f"RELANCE_BASE_URL={settings.RELANCE_BASE_URL} {why}.",
            hint="Set RELANCE_BASE_URL to the web app's public https:// address.",
            id="relance.W002",
        )
    ]
