"""The demo's mail: what candidates would have received (the local sink's .eml files)."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from relance.web import scope

SHOWN = 100


def folder() -> Path:
    return Path(settings.DATA_DIR) / "demo-mail"


@require_GET
@scope.recruiter_page
def demo_mail(request: HttpRequest) -> HttpResponse:
    if scope.organisation(request).slug != "demo" or not folder().is_dir():
        raise Http404("no demo mail here")
    files = sorted(folder().glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)[:SHOWN]
    mails = []
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        mails.append(
            {
                "to": str(message["To"] or ""),
                "from": str(message["From"] or ""),
                "subject": str(message["Subject"] or ""),
                "date": str(message["Date"] or ""),
                "body": body.get_content() if body is not None else "",
                "unsubscribe": str(message["List-Unsubscribe"] or ""),
            }
        )
    return render(request, "web/demo_mail.html", {"mails": mails, "folder": folder()})
