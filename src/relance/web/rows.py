"""The rows of the candidate list, written in Python rather than in the template.

A list page shows 50 rows; written by Django's template engine, each row's star form, labels
and dates cost about a millisecond, two thirds of the page's time at a million candidates
(benchmarks/web.py). The same markup written here with format_html costs a tenth of that.
The star form is also what the stars' own endpoint sends back to htmx, so it lives here once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext, ngettext

from relance.people import candidates as profiles
from relance.web import labels
from relance.web.templatetags.relance import stars_text


def rating(
    person: Any, *, csrf: str, here: str, prefix: str, focus: int | None = None
) -> SafeString:
    """The one-click star form of a candidate (`focus`: the star just clicked, 0 for none,
    which takes the keyboard's focus back when htmx swaps the form in)."""
    return _form(person, csrf, here, prefix, _stars(int(person.stars or 0), focus))


def _form(person: Any, csrf: str, here: str, prefix: str, stars: SafeString) -> SafeString:
    action = f"{prefix}{person.pk}/stars/"
    return format_html(
        '<form class="rating" id="rating-{}" method="post" action="{}" hx-post="{}"'
        ' hx-target="this" hx-swap="outerHTML">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="next" value="{}">{}</form>',
        person.pk,
        action,
        action,
        csrf,
        here,
        stars,
    )


def _stars(stars: int, focus: int | None) -> SafeString:
    """What the stars say to a screen reader, and a button per star: the lit star the
    candidate has takes them away, any other gives that many."""
    buttons = [format_html('<span class="sr">{}</span>', stars_text(stars))]
    for v in range(1, profiles.MAX_STARS + 1):
        if stars == v:
            value, words = 0, gettext("Remove the stars")
        else:
            value, words = v, ngettext("Give %(n)s star", "Give %(n)s stars", v) % {"n": v}
        focused = focus == v or (focus == 0 and v == 1)
        buttons.append(
            format_html(
                '<button type="submit" name="stars" value="{}" class="star{}"{}'
                ' aria-label="{}">{}</button>',
                value,
                " on" if v <= stars else "",
                mark_safe(" data-focus") if focused else "",
                words,
                "★" if v <= stars else "☆",
            )
        )
    return mark_safe("".join(buttons))


def candidate_rows(
    people: Iterable[Any], *, csrf: str, here: str, prefix: str, job_prefix: str
) -> SafeString:
    """The list's <tr>s: selection box, name and e-mail, stars, furthest stage and its job,
    source, tags, owner and the last contact's date (each cell labelled for the phone
    layout, where a row becomes a card)."""
    headings = {
        f"h_{code}": escape(words)  # escaped once for the page, not once per row
        for code, words in (
            ("stage", gettext("Stage")),
            ("job", gettext("Job")),
            ("source", gettext("Source")),
            ("tags", gettext("Tags")),
            ("owner", gettext("Owner")),
            ("contact", gettext("Last contact")),
        )
    }
    # Four ways to show the stars (none to three), written once for the page.
    stars = {n: _stars(n, None) for n in range(profiles.MAX_STARS + 1)}
    rows = []
    for c in people:
        furthest = getattr(c, "furthest", None)
        contact = c.last_contact_at
        rows.append(
            format_html(
                '<tr id="c-{pk}"><td class="select"><input type="checkbox" name="ids" value="{pk}"'
                ' form="bulk" id="pick-{pk}" aria-label="{select}"></td>'
                '<td><a href="{prefix}{pk}/">{name}</a><br><span class="muted">{email}</span></td>'
                "<td>{rating}</td>"
                '<td data-label="{h_stage}">{stage}</td>'
                '<td data-label="{h_job}">{job}</td>'
                '<td data-label="{h_source}">{source}</td>'
                '<td data-label="{h_tags}">{tags}</td>'
                '<td data-label="{h_owner}">{owner}</td>'
                '<td data-label="{h_contact}">{contact}</td></tr>',
                pk=c.pk,
                select=gettext("Select %(name)s") % {"name": c.full_name},
                prefix=prefix,
                name=c.full_name or "—",
                email=c.email,
                rating=_form(c, csrf, here, prefix, stars[int(c.stars or 0)]),
                stage=labels.label("stage", furthest.stage) if furthest else "",
                job=format_html(
                    '<a href="{}{}/">{}</a>', job_prefix, furthest.job_id, furthest.job.title
                )
                if furthest
                else "",
                source=labels.label("source", c.source),
                tags=format_html_join(
                    "", '<span class="tag">{}</span> ', ((t,) for t in c.tags or ())
                ),
                owner=str(c.owner) if c.owner_id else "",
                contact=date_filter(localtime(contact), "SHORT_DATE_FORMAT") if contact else "—",
                **headings,
            )
        )
    return mark_safe("\n".join(rows))


def cards(applications: Iterable[Any], *, csrf: str, planned: dict[int, list[Any]]) -> SafeString:
    """A pipeline column's cards (<li>s): the candidate, their stars, since when they are at
    this stage, their planned interviews (with "it took place" once the time has come),
    the stage select that moves them, and the link to plan an interview. A pipeline of 110
    cards spent most of its time in the template engine; written here, a tenth of it."""
    links = {name: reverse(f"web:{name}", args=[SLOT]) for name in
             ("candidate", "application_stage", "interview_new")}  # fmt: skip
    options = {
        stage: format_html_join("", '<option value="{}"{}>{}</option>', (
            (code, " selected" if code == stage else "", name)
            for code, name in labels.STAGES.items()
        ))
        for stage in labels.STAGES
    }  # fmt: skip
    shown = {
        n: format_html(
            '<span class="stars" aria-hidden="true">{}</span><span class="sr">{}</span>',
            "★" * n + "☆" * (profiles.MAX_STARS - n),
            stars_text(n),
        )
        for n in range(profiles.MAX_STARS + 1)
    }
    token = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf)
    move, plan = gettext("Move"), gettext("Plan an interview")
    out = []
    for a in applications:
        person = a.candidate
        interviews = format_html_join("", '<p class="interview">{}{}</p>', (
            (gettext("Interview on %(when)s") % {"when": labels.moment(i.at)},
             format_html(' <form method="post" action="{}" class="inline">{}<button>{}</button>'
                         "</form>", reverse("web:interview_act", args=[i.pk, "done"]), token,
                         gettext("It took place")) if i.past else "")
            for i in planned.get(a.pk, ())
        ))  # fmt: skip
        out.append(
            format_html(
                '<li class="app" id="app-{pk}" draggable="true" data-testid="card">'
                '<a class="name" href="{person_url}">{name}</a> {stars}'
                '<p class="muted">{since}</p>{interviews}'
                '<form method="post" action="{stage_url}" class="move">{token}'
                '<label><span class="sr">{stage_of}</span><select name="stage">{options}'
                "</select></label> <button>{move}</button></form>{plan}</li>",
                pk=a.pk,
                person_url=links["candidate"].replace(SLOT, str(a.candidate_id)),
                name=person.full_name,
                stars=shown[int(person.stars or 0)],
                since=gettext("since %(when)s")
                % {"when": date_filter(localtime(a.stage_changed_at), "SHORT_DATE_FORMAT")},
                interviews=interviews,
                stage_url=links["application_stage"].replace(SLOT, str(a.pk)),
                token=token,
                stage_of=gettext("Stage of %(name)s") % {"name": person.full_name},
                options=options[a.stage],
                move=move,
                plan=format_html(
                    '<a class="plan" href="{}">{}</a>',
                    links["interview_new"].replace(SLOT, str(a.pk)),
                    plan,
                )
                if a.is_active
                else "",
            )
        )
    return mark_safe("\n".join(out))


SLOT = "987654321"  # stands for an id in a reversed address, replaced per card
