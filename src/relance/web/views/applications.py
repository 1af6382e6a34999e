"""Applications and interviews, from a job's page or a candidate's: add a candidate to a
job, record that they applied, move a stage (back only when confirmed), plan, move, cancel
an interview, and say it took place. Each is one call to the services
(followups/pipeline.py, followups/interviews.py); the pages only read and say."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from relance import clock
from relance.engine import calendar
from relance.followups import interviews, pipeline
from relance.followups.pipeline import NeedsConfirmation, Refused
from relance.people.models import Application, Interview, Recruiter
from relance.web import errors, labels, scope
from relance.web.views.jobs import job_url
from relance.worker import wake_local

# Where an action sends the recruiter back: the job's page or the candidate's.
BACK = ("job", "candidate")


def application_of(request: HttpRequest, pk: int) -> Application:
    return get_object_or_404(
        Application.objects.of(scope.organisation(request)).select_related(
            "candidate", "job", "organisation"
        ),
        pk=pk,
    )


def interview_of(request: HttpRequest, pk: int) -> Interview:
    return get_object_or_404(
        Interview.objects.of(scope.organisation(request)).select_related(
            "application__candidate", "application__job", "application__organisation",
            "interviewer",
        ),
        pk=pk,
    )  # fmt: skip


def _back(request: HttpRequest, application: Application | None, job_id: int, person: int) -> str:
    if request.POST.get("back", request.GET.get("back")) == "candidate":
        return reverse("web:candidate", args=[person]) + "#stage"
    return job_url(job_id, application.pk if application else None)


# --- what the rules refuse, in the reader's words -------------------------------------------

REFUSALS = {
    "job_closed": gettext_lazy("This job is closed: reopen it first."),
    "not_addable": gettext_lazy(
        "A candidate joins a job at a stage of its process, not at “%(stage)s”."
    ),
    "already_on_job": gettext_lazy("%(name)s is on this job already, at “%(stage)s”."),
    "already_applied": gettext_lazy(
        "%(name)s is on this job already, at “%(stage)s”: nothing recorded."
    ),
    "application_ended": gettext_lazy(
        "The application ended (“%(stage)s”): move it back to a stage of the process first."
    ),
    "same_stage": gettext_lazy("Nothing changed: the application is at this stage already."),
    "not_scheduled": gettext_lazy("This interview is not planned any more."),
    "not_yet": gettext_lazy("This interview has not started yet."),
}


def refusal(problem: Refused, name: str = "") -> str:
    text = REFUSALS.get(problem.code)
    if text is None:
        return str(problem)
    values = {**problem.params, "name": name}
    if "stage" in values:
        values["stage"] = labels.label("stage", values["stage"])
    return _("Not done: %(why)s") % {"why": str(text) % values}


def _effects(done: pipeline.Done) -> str:
    """What a stage change did to the follow-ups, said after it."""
    parts = []
    if done.stopped:
        parts.append(
            _("%(n)s follow-up(s) stopped: a stage change ends those waiting for an answer.")
            % {"n": done.stopped}
        )
    for situation in done.started:
        parts.append(_("Started: %(what)s.") % {"what": labels.situation(situation)})
    return " ".join(parts)


# --- applications ---------------------------------------------------------------------------


@require_POST
@scope.recruiter_page
def application_new(request: HttpRequest) -> HttpResponse:
    """Add a candidate to a job: at a stage of the process, or `applied` — they applied,
    which sends the acknowledgement and starts the application's follow-ups."""
    post = request.POST
    for name in ("candidate", "job"):
        if not post.get(name, "").isdigit():
            return errors.bad_request(request, errors.whole_number(name, post.get(name, "")))
    person = scope.candidate(request, int(post["candidate"]))
    one = scope.job(request, int(post["job"]))
    how = post.get("how", "")
    choices = ["applied", *(s.value for s in pipeline.ADDABLE)]
    if how not in choices:
        return errors.bad_request(request, errors.one_of("how", how, choices))
    me, now = scope.me(request), clock.now()
    back = _back(request, None, one.pk, person.pk)
    try:
        if how == "applied":
            done = pipeline.applied(person, one, me, now)
            wake_local()  # a worker in this process (the demo's) sends the receipt at once
            text = _("Application recorded: the acknowledgement leaves now.")
        else:
            done = pipeline.add(person, one, how, me, now)
            text = _("Added at “%(stage)s”.") % {"stage": labels.label("stage", how)}
    except Refused as problem:
        messages.error(request, refusal(problem, person.full_name))
        return redirect(back)
    messages.success(request, f"{text} {_effects(done)}".strip())
    return redirect(_back(request, done.application, one.pk, person.pk))


@require_http_methods(["GET", "POST"])
@scope.recruiter_page
def application_stage(request: HttpRequest, pk: int) -> HttpResponse:
    """Move an application to another stage. Back (an earlier stage, an end undone) is
    asked first: GET shows what it undoes with a button to confirm (no script needed)."""
    application = application_of(request, pk)
    data = request.POST if request.method == "POST" else request.GET
    stage = data.get("stage", "")
    if stage not in labels.STAGES:
        return errors.bad_request(request, errors.one_of("stage", stage, labels.STAGES))
    back = _back(request, application, application.job_id, application.candidate_id)
    if request.method == "GET":
        if not application.goes_back_to(stage):
            return redirect(back)
        return render(
            request,
            "web/stage_back.html",
            {"application": application, "stage": stage, "back": data.get("back", "job")},
        )
    try:
        done = pipeline.move(
            application, stage, scope.me(request), clock.now(),
            confirmed=request.POST.get("confirmed") == "1",
        )  # fmt: skip
    except NeedsConfirmation:
        where = "candidate" if request.POST.get("back") == "candidate" else "job"
        query = f"?stage={stage}&back={where}"
        return redirect(reverse("web:application_stage", args=[application.pk]) + query)
    except Refused as problem:
        messages.info(request, refusal(problem, application.candidate.full_name))
        return redirect(back)
    text = _("%(name)s moved to “%(stage)s”.") % {
        "name": application.candidate.full_name,
        "stage": labels.label("stage", stage),
    }
    messages.success(request, f"{text} {_effects(done)}".strip())
    return redirect(back)


# --- interviews -------------------------------------------------------------------------------


class InterviewForm(forms.Form):
    """An interview as a recruiter plans it: the day and time in the organisation's zone."""

    day = forms.DateField(label=gettext_lazy("Date"), input_formats=["%Y-%m-%d"])
    clock = forms.TimeField(label=gettext_lazy("Time"), input_formats=["%H:%M", "%H:%M:%S"])
    minutes = forms.IntegerField(
        label=gettext_lazy("Duration (minutes)"),
        min_value=interviews.MIN_MINUTES, max_value=interviews.MAX_MINUTES,
    )  # fmt: skip
    interviewer = forms.ModelChoiceField(
        queryset=Recruiter.objects.none(), required=False, label=gettext_lazy("Interviewer")
    )
    place = forms.CharField(
        max_length=interviews.LONGEST_PLACE, required=False, label=gettext_lazy("Place")
    )
    video_url = forms.CharField(max_length=200, required=False, label=gettext_lazy("Video link"))
    off_hours = forms.BooleanField(required=False)
    past = forms.BooleanField(required=False)

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        interviewer = self.fields["interviewer"]
        assert isinstance(interviewer, forms.ModelChoiceField)
        interviewer.queryset = Recruiter.objects.filter(
            organisation=organisation, is_active=True
        ).order_by("first_name", "email")
        interviewer.error_messages["invalid_choice"] = _("Choose a recruiter of your organisation.")

    def plan(self) -> interviews.Plan | None:
        """The plan, or None with the problems added to the form's fields."""
        data = self.cleaned_data
        day: date = data["day"]
        at_clock: time = data["clock"]
        zone = self.organisation.timezone
        try:
            at = interviews.local_moment(day, at_clock.replace(second=0, microsecond=0), zone)
        except Refused:
            self.add_error(
                "clock",
                _("%(time)s does not exist on that day in %(zone)s (the clocks change).")
                % {"time": f"{at_clock:%H:%M}", "zone": labels.place(zone)},
            )
            return None
        return interviews.Plan(
            at=at, minutes=data["minutes"], interviewer=data["interviewer"],
            place=data["place"].strip(), video_url=data["video_url"].strip(),
        )  # fmt: skip

    asked_off_hours = False  # a problem said the moment is outside working hours

    def show(self, found: list[interviews.Problem]) -> None:
        for problem in found:
            self.asked_off_hours |= problem.code == "off_hours"
            field = "day" if problem.field == "at" else problem.field
            self.add_error(field, problem_text(problem, self.organisation))


PROBLEMS = {
    "in_the_past": gettext_lazy(
        "This moment has passed: choose one to come, or tick “It already took place”."
    ),
    "not_yet": gettext_lazy("An interview that took place is in the past: this moment is to come."),
    "too_far": gettext_lazy("More than a year ahead: check the year."),
    "minutes": gettext_lazy("A duration from %(low)s to %(high)s minutes."),
    "video_url": gettext_lazy(
        "A video link is a web address starting with https:// (like https://meet.example.com/abc)."
    ),
    "place_too_long": gettext_lazy("At most %(high)s characters."),
    "no_place": gettext_lazy(
        "Say where it takes place: a place (an address, a room, “by phone”) or a video link."
    ),
    "interviewer": gettext_lazy("Choose a recruiter of your organisation."),
    "off_hours": gettext_lazy(
        "Outside working hours (working days, %(start)s–%(end)s, %(zone)s time): "
        "tick the box below to plan it anyway."
    ),
    "weekend": gettext_lazy("That day is a weekend day: tick the box below to plan it anyway."),
    "holiday": gettext_lazy(
        "That day is a public holiday (%(holiday)s): tick the box below to plan it anyway."
    ),
}


def problem_text(problem: interviews.Problem, organisation: Any) -> str:
    code = problem.code
    if code == "off_hours" and "holiday" in problem.params:
        code = "holiday"
    elif code == "off_hours" and "weekend" in problem.params:
        code = "weekend"
    values = {**problem.params, "zone": labels.place(organisation.timezone)}
    return str(PROBLEMS[code]) % values


NOTICES = {
    "no_email": gettext_lazy("No e-mail address for this person: tell them yourself."),
    "bounced": gettext_lazy("Their e-mail address bounced: tell them yourself."),
    "do_not_contact": gettext_lazy("They asked never to be contacted: no e-mail was sent."),
    "template": gettext_lazy(
        "The e-mail could not be written (%(detail)s): tell them yourself, or fix the template."
    ),
}


def _notice(done: str, notice: interviews.Notice | None, sent: str) -> str:
    if notice is None:
        return done
    if notice.sent:
        wake_local()  # a worker in this process (the demo's) sends it at once
        return f"{done} {sent}"
    return f"{done} {NOTICES[notice.why] % {'detail': notice.detail}}"


def _form_context(
    application: Application, form: InterviewForm, interview: Interview | None
) -> dict[str, Any]:
    return {
        "application": application,
        "form": form,
        "interview": interview,
        "zone": labels.place(application.organisation.timezone),
        "ask_off_hours": form.asked_off_hours or bool(form.data.get("off_hours")),
    }


@require_http_methods(["GET", "POST"])
@scope.recruiter_page
def interview_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Plan an interview for an application (the confirmation e-mail leaves at once), or
    record one that already took place (the feedback deadline starts from it)."""
    application = application_of(request, pk)
    org = application.organisation
    me = scope.me(request)
    form = InterviewForm(
        request.POST or None, organisation=org, initial={"minutes": 60, "interviewer": me.pk}
    )
    if request.method == "POST" and form.is_valid() and (plan := form.plan()) is not None:
        now = clock.now()
        past = form.cleaned_data["past"]
        found = interviews.problems(
            plan, org, now, past=past, off_hours_confirmed=form.cleaned_data["off_hours"]
        )
        if found:
            form.show(found)
        else:
            try:
                if past:
                    interviews.record_past(application, plan, me, now)
                    text = _(
                        "Interview recorded: the feedback is due by the end of the next "
                        "working day (on Today)."
                    )
                else:
                    _planned, notice = interviews.schedule(
                        application, plan, me, now, off_hours_confirmed=True
                    )
                    text = _notice(
                        _("Interview planned."), notice,
                        _("The confirmation e-mail, with its preparation guide, leaves now."),
                    )  # fmt: skip
            except Refused as problem:
                messages.error(request, refusal(problem, application.candidate.full_name))
                return redirect(_back(request, application, application.job_id,
                                      application.candidate_id))  # fmt: skip
            messages.success(request, text)
            return redirect(
                _back(request, application, application.job_id, application.candidate_id)
            )
    return render(
        request,
        "web/interview.html",
        {
            **_form_context(application, form, None),
            "back": request.POST.get("back") or request.GET.get("back", ""),
        },
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@scope.recruiter_page
def interview_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a planned interview (or change who, where): the candidate gets a short notice."""
    interview = interview_of(request, pk)
    application = interview.application
    org = application.organisation
    local = calendar.local(interview.at, org.timezone)
    initial = {
        "day": local.date().isoformat(), "clock": f"{local:%H:%M}", "minutes": interview.minutes,
        "interviewer": interview.interviewer_id, "place": interview.place,
        "video_url": interview.video_url,
    }  # fmt: skip
    form = InterviewForm(request.POST or None, organisation=org, initial=initial)
    if interview.status != Interview.Status.SCHEDULED:
        messages.info(request, str(REFUSALS["not_scheduled"]))
        return redirect(job_url(application.job_id, application.pk))
    if request.method == "POST" and form.is_valid() and (plan := form.plan()) is not None:
        now = clock.now()
        found = interviews.problems(
            plan, org, now, off_hours_confirmed=form.cleaned_data["off_hours"]
        )
        if found:
            form.show(found)
        else:
            back = _back(request, application, application.job_id, application.candidate_id)
            try:
                changed, notice = interviews.reschedule(
                    interview, plan, scope.me(request), now, off_hours_confirmed=True
                )
            except Refused as problem:
                messages.error(request, refusal(problem, application.candidate.full_name))
                return redirect(back)
            if not changed:
                messages.info(request, _("Nothing changed."))
            else:
                messages.success(
                    request,
                    _notice(_("Interview changed."), notice,
                            _("The candidate is told by e-mail.")),
                )  # fmt: skip
            return redirect(back)
    return render(
        request,
        "web/interview.html",
        {
            **_form_context(application, form, interview),
            "back": request.POST.get("back") or request.GET.get("back", ""),
        },
        status=400 if form.is_bound else 200,
    )


@require_POST
@scope.recruiter_page
def interview_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """`done`: it took place (the feedback deadline starts); `cancel`: it will not (a
    notice to the candidate when it was still to come)."""
    interview = interview_of(request, pk)
    application = interview.application
    back = _back(request, application, application.job_id, application.candidate_id)
    me, now = scope.me(request), clock.now()
    try:
        if action == "done":
            interviews.took_place(interview, me, now)
            text = _(
                "Interview recorded: the feedback is due by the end of the next working day "
                "(on Today)."
            )
        elif action == "cancel":
            notice = interviews.cancel(interview, me, now)
            text = _notice(_("Interview cancelled."), notice, _("The candidate is told by e-mail."))
        else:
            return errors.bad_request(request, errors.one_of("action", action, ["done", "cancel"]))
    except Refused as problem:
        messages.error(request, refusal(problem, application.candidate.full_name))
        return redirect(back)
    messages.success(request, text)
    return redirect(back)
