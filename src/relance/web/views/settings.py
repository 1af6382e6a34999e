"""Settings: the organisation's policy (within the hard caps), my signature and sending
identity, and (admins) the team with its invitations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from relance import clock, crypto
from relance.engine.policy import Policy, PolicyError
from relance.messaging.models import Security, Sender
from relance.people import team
from relance.people.models import AuditEntry, Recruiter
from relance.web import labels, scope
from relance.web.signin import account, normalise
from relance.web.views.account import invitation_link

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


_PORT = gettext_lazy("Expected a port number from 1 to 65535.")


class IdentityForm(forms.Form):
    """My signature and phone, and the identity my e-mails leave under. A value that does
    not fit is refused with why, never cut or ignored."""

    signature = forms.CharField(max_length=2000, required=False, strip=False)
    phone = forms.CharField(max_length=32, required=False)
    address = forms.EmailField(required=False)
    name = forms.CharField(max_length=200, required=False)
    host = forms.CharField(max_length=255, required=False)
    port = forms.IntegerField(
        min_value=1, max_value=65535, required=False,
        error_messages={"invalid": _PORT, "min_value": _PORT, "max_value": _PORT},
    )  # fmt: skip
    username = forms.CharField(max_length=320, required=False)
    password = forms.CharField(required=False, strip=False)
    security = forms.ChoiceField(choices=Security.choices, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        own_server = [f for f in ("host", "username", "password") if data.get(f)]
        if own_server and not data.get("address") and "address" not in self.errors:
            self.add_error(
                "address",
                _(
                    "Your own SMTP server is used only with a sending address: give the "
                    "address it sends from, or leave the server's fields empty."
                ),
            )
        return data


def _identity(user: Recruiter) -> IdentityForm:
    """The form as saved: my signature, phone, and sending identity if I have one."""
    sender = Sender.objects.filter(recruiter=user).first()
    initial: dict[str, Any] = {"signature": user.signature, "phone": user.phone, "port": 587,
                               "security": Security.STARTTLS}  # fmt: skip
    if sender is not None:
        initial |= {"address": sender.address, "name": sender.name, "host": sender.host,
                    "port": sender.port, "username": sender.username,
                    "security": sender.security}  # fmt: skip
    return IdentityForm(initial=initial)


@require_GET
@scope.recruiter_page
def settings_page(request: HttpRequest) -> HttpResponse:
    org = scope.organisation(request)
    return render(request, "web/settings.html", _context(request, _policy_form(org), {}))


def _context(
    request: HttpRequest,
    values: dict[str, str],
    errors: dict[str, str],
    identity: IdentityForm | None = None,
) -> dict[str, Any]:
    org = scope.organisation(request)
    user = scope.me(request)
    fields = [
        (k, str(text), values.get(k, ""), errors.get(k, "")) for k, text in POLICY_FIELDS.items()
    ]
    return {
        "fields": fields,
        "identity": identity or _identity(user),
        "securities": list(labels.SECURITIES.items()),
        # Who has joined: an invitation makes no account until it is accepted.
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
    checked before anything is written: one that does not fit is shown with why, and
    nothing is saved."""
    user = scope.me(request)
    form = IdentityForm(request.POST)
    if not form.is_valid():
        org = scope.organisation(request)
        messages.error(request, _("Nothing saved: some values do not fit, see below."))
        context = _context(request, _policy_form(org), {}, identity=form)
        return render(request, "web/settings.html", context, status=400)
    data = form.cleaned_data
    with transaction.atomic():
        user.signature, user.phone = data["signature"], data["phone"]
        user.save(update_fields=["signature", "phone"])
        if data["address"]:
            sender = Sender.objects.filter(recruiter=user).first() or Sender(
                recruiter=user, organisation=scope.organisation(request)
            )
            sender.address, sender.name, sender.host = data["address"], data["name"], data["host"]
            sender.port = data["port"] or 587
            sender.username = data["username"]
            sender.security = data["security"] or Security.STARTTLS
            if data["password"]:
                sender.password_encrypted = crypto.encrypt(data["password"])
            sender.save()
    messages.success(request, _("Saved."))
    return redirect("web:settings")


@require_POST
@scope.admin_page
def invite(request: HttpRequest) -> HttpResponse:
    """An admin invites a recruiter: a one-time link to hand over, where the recruiter
    chooses their password and their account is made.

    An address that already has an account in another organisation cannot join this one
    (one account, one organisation), but the admin is not told so: that would let any
    admin learn who uses Relance elsewhere. They get the same answer and the same kind of
    link as for a new address; whoever opens the link (its owner, normally) reads why it
    cannot be used, and can give the admin another address. Only a colleague already in
    the admin's own team is named as such: the team list shows them anyway."""
    org = scope.organisation(request)
    email = normalise(request.POST.get("email", ""))
    try:
        validate_email(email)
    except ValidationError:
        messages.error(request, _("%(email)s is not an e-mail address.") % {"email": email or "∅"})
        return redirect("web:settings")
    role = request.POST.get("role", Recruiter.Role.RECRUITER)
    if role not in Recruiter.Role.values:
        return HttpResponseBadRequest(f"role={role!r}: expected admin or recruiter")
    known = account(email)
    if known is not None and known.organisation_id == org.pk and known.has_usable_password():
        messages.error(request, _("%(email)s is already in your team.") % {"email": email})
        return redirect("web:settings")
    first = request.POST.get("first_name", "").strip()[:150]
    last = request.POST.get("last_name", "").strip()[:150]
    request.session["invited"] = invitation_link(request, org, email, role, first, last)
    team.record(org.pk, scope.me(request), AuditEntry.Action.INVITED, None, clock.now(),
                email=email, role=role)  # fmt: skip
    messages.success(
        request, _("%(email)s is invited. Send them the link below.") % {"email": email}
    )
    return redirect("web:settings")
