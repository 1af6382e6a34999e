"""Today: what is due for me (or my team), and one-click actions on each row."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from relance import clock
from relance.engine import CallOutcome, calendar
from relance.engine.reasons import sentence
from relance.followups import agenda
from relance.followups.models import Thread, Touchpoint
from relance.followups.services import (
    NotDue,
    complete_task,
    prepared_message,
    queue_send,
    send_edited,
)
from relance.followups.steps import skip, snooze
from relance.messaging.compose import TemplateProblem
from relance.messaging.models import Alert, OutboxMessage
from relance.messaging.senders import alert_text
from relance.people.models import Organisation, Recruiter
from relance.web import addresses, errors, labels, scope
from relance.web.labels import reader_language
from relance.web.views.templates import describe
from relance.worker import wake_local

# The most urgent rows first; "show more" asks for up to MORE. Each row costs template
# work, and a morning rarely starts with more than 50 things to do.
LIMIT, MORE = 50, 200
ACTIONS = ("send", "send_edited", "done", "call", "snooze", "skip")


def prefixes() -> dict[str, Any]:
    """What every row repeats, worked out once per page: the start of the thread and
    candidate addresses (each row adds its id) and the buttons' words. A reverse and a
    translation per row and per button cost more than half of the page."""
    return {
        "thread_prefix": addresses.prefix("web:thread_message", "message/"),
        "candidate_prefix": addresses.prefix("web:candidate"),
        "words": {
            "message": _("Prepared message"),
            "send": _("Send now"),
            "outcome": _("Call outcome:"),
            "answered": _("Answered"),
            "voicemail": _("Voicemail"),
            "no_answer": _("No answer"),
            "done": _("Mark done"),
            "done_elsewhere": _("Sent from my own mailbox: mark done"),
            "write": _("Write and send the e-mail"),
            "more": _("Snooze or skip"),
        },
    }


@require_GET
@scope.recruiter_page
def today(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    org, user = scope.organisation(request), scope.me(request)
    team = request.GET.get("team") == "1"
    recruiter = None if team else user
    limit = MORE if request.GET.get("more") == "1" else LIMIT
    until = agenda.end_of_day(now, org)
    rows = agenda.items(org, until, now, recruiter, limit=limit)
    groups = [
        ("overdue", _("Late: a deadline has passed"), [i for i in rows if i.overdue]),
        ("due", _("To do now"), [i for i in rows if not i.overdue and not i.waiting]),
        (
            "later",
            _("Later today, or held back by a rule"),
            [i for i in rows if not i.overdue and i.waiting],
        ),
    ]
    if not team:
        later_days = agenda.held_back(org, user, until)
        groups.append(
            (
                "held",
                _("Held back to a later day by a rule"),
                [agenda.item_of(thread, now) for thread in later_days],
            )
        )
    alerts = [
        alert_text(a, reader_language())
        for a in Alert.objects.of(org).filter(recruiter=user, resolved_at=None).order_by("pk")[:5]
    ]
    return render(
        request,
        "web/today.html",
        {
            "groups": groups,
            "team": team,
            "due_count": agenda.count_due(org, now, recruiter),
            "done_count": done_today(org, recruiter, now),
            "alerts": alerts,
            "now": now,
            "shown": len(rows),
            "limit": limit,
            "can_show_more": limit < MORE,
            **prefixes(),
        },
    )


def done_today(org: Organisation, recruiter: Recruiter | None, now: datetime) -> int:
    """Steps of follow-ups done since midnight (the organisation's), by hand or sent."""
    start = calendar.at_local(calendar.local(now, org.timezone).date(), time(0), org.timezone)
    rows = Touchpoint.objects.filter(
        organisation=org, at__gte=start, at__lte=now, thread__isnull=False, direction="out"
    )
    if recruiter is not None:
        rows = rows.filter(recruiter=recruiter)
    return rows.count()


@require_GET
@scope.recruiter_page
def more(request: HttpRequest, pk: int) -> HttpResponse:
    """A row's less frequent actions (snooze, skip), loaded when asked for."""
    return render(
        request,
        "web/partials/more.html",
        {
            "thread": scope.thread(request, pk),
            "snoozes": list(labels.SNOOZES.items()),
            "skip_reasons": list(labels.SKIP_REASONS.items()),
        },
    )


@require_GET
@scope.recruiter_page
def message(request: HttpRequest, pk: int) -> HttpResponse:
    """The prepared message of a thread's next step (loaded when a row is opened)."""
    thread = scope.thread(request, pk)
    problem, rendered = "", None
    if thread.status == Thread.Status.OPEN and thread.next_template:
        try:
            rendered = prepared_message(thread, clock.now())
        except TemplateProblem as error:
            problem = describe(error)
    return render(
        request,
        "web/partials/message.html",
        {"thread": thread, "rendered": rendered, "problem": problem},
    )


@require_POST
@scope.recruiter_page
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One click on an agenda row. Every action takes the decision again under the
    candidate's lock, so what a rule holds back is refused with its reason."""
    now = clock.now()
    thread = scope.thread(request, pk)
    user = scope.me(request)
    done, error = "", ""
    try:
        if action == "send":
            queued = OutboxMessage.objects.filter(thread=thread, action_index=thread.action_index)
            if queued.exists():
                wake_local()  # it may have waited for a rule that no longer holds it
                already = _("Already queued: it leaves with the next worker cycle.")
                return _row(request, thread, now, already, "")
            row, _effects = queue_send(thread.pk, now)
            if row is None:  # nearly identical to a message already received: rewrite it
                raise NotDue("near_duplicate")
            wake_local()
            done = _("Queued: the e-mail leaves with the next worker cycle.")
        elif action == "send_edited":
            subject, body = request.POST.get("subject", ""), request.POST.get("body", "")
            refused = ""
            if not subject.strip() or not body.strip():
                refused = _("An e-mail needs a subject and a text.")
            else:
                try:
                    send_edited(thread.pk, now, subject, body, user)
                except ValueError as problem:  # a placeholder left: the reason, translated
                    refused = str(problem)
            if refused:
                if not request.htmx:
                    return errors.bad_request(request, refused)
                # The editor again, with the recruiter's own text and why it did not leave.
                return render(
                    request,
                    "web/partials/message.html",
                    {"thread": thread, "rendered": {"subject": subject, "body": body},
                     "refused": refused},
                )  # fmt: skip
            wake_local()
            done = _("Queued as you wrote it: it leaves with the next worker cycle.")
        elif action in ("done", "call"):
            outcome = request.POST.get("outcome", CallOutcome.NO_ANSWER)
            if action == "call" and outcome not in labels.CALL_OUTCOMES:
                return errors.bad_request(
                    request, errors.one_of("outcome", outcome, labels.CALL_OUTCOMES)
                )
            complete_task(thread.pk, now, outcome=outcome, recruiter=user)
            done = (
                _("Call logged: %(outcome)s.") % {"outcome": labels.CALL_OUTCOMES[outcome]}
                if action == "call"
                else _("Marked as done.")
            )
        elif action == "snooze":
            raw = request.POST.get("days", "1")
            days = int(raw) if raw.isdigit() else 0
            if days not in labels.SNOOZES:
                return errors.bad_request(request, errors.one_of("days", raw, ["1", "3", "7"]))
            snooze(thread.pk, now, now + timedelta(days=days))
            done = _("Put off: %(when)s.") % {"when": labels.SNOOZES[days]}
        elif action == "skip":
            code = request.POST.get("why", "")
            text = request.POST.get("note", "").strip()
            if code not in labels.SKIP_REASONS:
                return errors.bad_request(request, errors.one_of("why", code, labels.SKIP_REASONS))
            skip(thread.pk, now, text or str(labels.SKIP_REASONS[code]), user)
            done = _("Skipped: this follow-up is over.")
        else:
            return errors.bad_request(request, errors.one_of("action", action, ACTIONS))
    except NotDue as refusal:
        # Not due any more (a rule holds it back, the thread ended): say why — the rule
        # that refused it now (outside its hours), else the reason stored.
        fresh = scope.thread(request, pk)
        code = refusal.code or fresh.delay_reason or fresh.reason
        params = refusal.params if refusal.code else fresh.reason_params
        error = _("Not done: %(why)s") % {"why": sentence(code, reader_language(), params)}
    return _row(request, scope.thread(request, pk), now, done, error)


def _row(
    request: HttpRequest, thread: Thread, now: datetime, done: str, error: str
) -> HttpResponse:
    """The agenda row again, as the action left it (htmx), or back to the page. A row whose
    e-mail is in the outbox offers nothing more to do with it (until the worker sends it)."""
    if not request.htmx:
        messages.add_message(request, messages.ERROR if error else messages.SUCCESS, error or done)
        return redirect("web:today")
    # The whole row, whatever sent the action (a row's button, or the e-mail editor in it).
    response = render(
        request,
        "web/partials/agenda_row.html",
        {
            "item": agenda.item_of(thread, now),
            "done": done,
            "error": error,
            "queued": OutboxMessage.objects.filter(
                thread=thread,
                action_index=thread.action_index,
                status__in=[
                    OutboxMessage.Status.PENDING,
                    OutboxMessage.Status.CLAIMED,
                    OutboxMessage.Status.SENDING,
                ],
            ).exists(),
            "oob": True,  # the page's live region gets the message too
            **prefixes(),
        },
    )
    return reswap(retarget(response, f"#thread-{thread.pk}"), "outerHTML")
