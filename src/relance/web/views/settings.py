"""Settings: the organisation's policy (within the hard caps), my signature and sending
identity, and (admins) the team with its invitations."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from relance import crypto
from relance.engine.policy import Policy, PolicyError
from relance.messaging.models import Security, Sender
from relance.people.models import Recruiter
from relance.web import scope

# Each setting a recruiter can change, with what the rules allow, said in their language.
POLICY_FIELDS: dict[str, Any] = {
    "max_followups": gettext_lazy(
        "Follow-ups after the first message: 0 to 3. A fourth is never sent (hard rule 1)."
    ),
    "followup_delays_days": gettext_lazy(
        "Days before follow-up 1, 2 and 3, each after the step before, comma-separated: "
        "never less than the spacing, at most 60."
    ),
    "spacing_days": gettext_lazy(
        "Days between two written messages of a follow-up: 2 to 30 (hard rule 2)."
    ),
    "max_messages_per_7_days": gettext_lazy(
        "Messages per candidate over 7 days, all recruiters together: 1 or 2 (hard rule 3)."
    ),
    "sending_window": gettext_lazy(
        "Sending hours, candidate's time, like 09:00-18:00: within 08:00-19:00 (hard rule 6)."
    ),
    "call_window": gettext_lazy(
        "Calling hours, candidate's time: within 09:00-19:00 (hard rule 6)."
    ),
    "keep_in_touch_after_days": gettext_lazy(
        "Days of silence before keeping in touch with a talent-pool member: 30 to 730."
    ),
    "answer_deadline_days": gettext_lazy(
        "Days to answer every application: at most 14, and not before the rejection delay."
    ),
    "rejection_not_before_days": gettext_lazy(
        "A rejection leaves no sooner than this many days after the application: 3 to 14."
    ),
}


def _policy_form(org: Any) -> dict[str, str]:
    current = org.get_policy().to_mapping()
    out = {}
    for key in POLICY_FIELDS:
        value = current[key]
        if isinstance(value, list):
            value = ", ".join(f"{v:g}" for v in value)
        elif isinstance(value, float):
            value = f"{value:g}"
        out[key] = str(value)
    return out


def _parse(key: str, raw: str) -> Any:
    raw = raw.strip()
    if key in ("sending_window", "call_window"):
        return raw
    if key == "followup_delays_days":
        return [_number(part) for part in raw.split(",") if part.strip()]
    return _number(raw) if key == "spacing_days" else _whole(raw)


def _number(raw: str) -> Any:
    try:
        return float(raw.strip().replace(",", "."))
    except ValueError:
        return raw


def _whole(raw: str) -> Any:
    return int(raw) if raw.lstrip("-").isdigit() else raw


@require_GET
@scope.recruiter_page
def settings_page(request: HttpRequest) -> HttpResponse:
    org = scope.organisation(request)
    return render(request, "web/settings.html", _context(request, _policy_form(org), {}))


def _context(
    request: HttpRequest, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    org = scope.organisation(request)
    user = scope.me(request)
    fields = [
        (k, str(text), values.get(k, ""), errors.get(k, "")) for k, text in POLICY_FIELDS.items()
    ]
    return {
        "fields": fields,
        "sender": Sender.objects.filter(recruiter=user).first(),
        "securities": Security.choices,
        "team": Recruiter.objects.filter(organisation=org).order_by("first_name", "email")
        if user.role == Recruiter.Role.ADMIN else [],
        "invited": request.session.pop("invited", None),
    }  # fmt: skip


@require_POST
@scope.admin_page
def save_policy(request: HttpRequest) -> HttpResponse:
    """Save the policy if every value is within the rules; else show each refused value
    with its reason, and change nothing."""
    org = scope.organisation(request)
    values = {key: request.POST.get(key, "") for key in POLICY_FIELDS}
    overrides = dict(org.policy)
    errors: dict[str, str] = {}
    for key, raw in values.items():
        try:
            Policy.from_mapping({**overrides, key: _parse(key, raw)})
        except PolicyError as error:
            errors[key] = _("Refused: %(value)s. %(rule)s") % {
                "value": raw or "∅",
                "rule": POLICY_FIELDS[key],
            }
            if error.field.split(".")[-1] != key:  # refused because of another setting
                errors[key] += f" ({error.message})"
            continue
        overrides[key] = _parse(key, raw)
    if not errors:
        try:
            Policy.from_mapping(overrides)
        except PolicyError as error:
            errors[error.field.split(".")[-1]] = error.message
    if errors:
        messages.error(request, _("Nothing saved: some values are outside what the rules allow."))
        return render(request, "web/settings.html", _context(request, values, errors), status=400)
    org.policy = overrides
    org.save(update_fields=["policy"])
    messages.success(
        request, _("Policy saved: every open follow-up follows it from its next step.")
    )
    return redirect("web:settings")


@require_POST
@scope.recruiter_page
def save_identity(request: HttpRequest) -> HttpResponse:
    """My signature and phone, and the identity my e-mails leave under. Every value is
    checked before anything is written: a bad one changes nothing."""
    user = scope.me(request)
    post = request.POST
    address = post.get("address", "").strip()
    port = post.get("port", "587").strip() or "587"
    security = post.get("security", Security.STARTTLS)
    if address and "@" not in address:
        messages.error(
            request,
            _("The sending address %(address)s is not an e-mail address.") % {"address": address},
        )
        return redirect("web:settings")
    if not port.isdigit():
        return HttpResponseBadRequest(f"port={port!r}: expected a whole number")
    if security not in Security.values:
        return HttpResponseBadRequest(
            f"security={security!r}: expected one of {', '.join(Security.values)}"
        )
    with transaction.atomic():
        user.signature = post.get("signature", "")[:2000]
        user.phone = post.get("phone", "").strip()[:32]
        user.save(update_fields=["signature", "phone"])
        if address:
            sender = Sender.objects.filter(recruiter=user).first() or Sender(
                recruiter=user, organisation=scope.organisation(request)
            )
            sender.address = address
            sender.name = post.get("name", "").strip()[:200]
            sender.host = post.get("host", "").strip()[:255]
            sender.port = int(port)
            sender.username = post.get("username", "").strip()[:320]
            sender.security = security
            if post.get("password"):
                sender.password_encrypted = crypto.encrypt(post["password"])
            sender.save()
    messages.success(request, _("Saved."))
    return redirect("web:settings")


@require_POST
@scope.admin_page
def invite(request: HttpRequest) -> HttpResponse:
    """An admin invites a recruiter: the account is created without a password, and the
    admin gets a one-time link to hand over, where the recruiter chooses theirs."""
    email = request.POST.get("email", "").strip().lower()
    if "@" not in email:
        messages.error(request, _("%(email)s is not an e-mail address.") % {"email": email or "∅"})
        return redirect("web:settings")
    if Recruiter.objects.filter(email__iexact=email).exists():
        messages.error(request, _("%(email)s already has an account.") % {"email": email})
        return redirect("web:settings")
    role = request.POST.get("role", Recruiter.Role.RECRUITER)
    if role not in Recruiter.Role.values:
        return HttpResponseBadRequest(f"role={role!r}: expected admin or recruiter")
    user = Recruiter.objects.create_user(
        email, None, organisation=scope.organisation(request), role=role,
        first_name=request.POST.get("first_name", "").strip()[:150],
        last_name=request.POST.get("last_name", "").strip()[:150],
    )  # fmt: skip
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    request.session["invited"] = request.build_absolute_uri(reverse("web:join", args=[uid, token]))
    messages.success(
        request, _("%(email)s is invited. Send them the link below.") % {"email": email}
    )
    return redirect("web:settings")
