"""The built-in templates: complete, renderable, different from one step to the next,
and each follow-up refers to the message before it."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from relance.engine import Channel, Policy, Situation
from relance.engine.plans import plan_for
from relance.engine.types import CandidateView, Mode, ThreadView
from relance.messaging.checks import PLACEHOLDER, check, placeholders, step_of
from relance.messaging.render import (
    Source,
    TemplateProblem,
    builtin,
    render,
    subject_line,
    undeclared,
)

LANGUAGES = ("fr", "en")
NOW = datetime(2026, 3, 2, 9, tzinfo=timezone(timedelta(hours=1)))


def every_plan_template(personal: bool = False) -> set[str]:
    """Every template any plan can ask for, over every combination of channels; with
    `personal`, only the e-mails a recruiter writes (a task on the e-mail channel: they
    edit the text before it leaves)."""
    names = set() if personal else {"application.ack.email"}
    policy = Policy(max_followups=3)
    for situation in Situation:
        for email in (True, False):
            for phone in (True, False):
                for linkedin in (True, False):
                    for preferred in (None, *Channel):
                        for start in (None, Channel.EMAIL, Channel.LINKEDIN, Channel.SMS):
                            for late in (True, False):
                                candidate = CandidateView(
                                    timezone="Europe/Paris", country="FR", has_email=email,
                                    has_phone=phone, has_linkedin=linkedin, preferred_channel=preferred,
                                )  # fmt: skip
                                thread = ThreadView(
                                    id=1, situation=situation, started_at=NOW, start_seq=1,
                                    late_stage=late, trigger="post" if late else "",
                                )  # fmt: skip
                                for action in plan_for(thread, candidate, start, policy):
                                    if personal and (
                                        action.mode is not Mode.TASK
                                        or action.channel is not Channel.EMAIL
                                    ):
                                        continue
                                    if action.template:
                                        names.add(action.template)
    return names


def variables(previous: bool = True, job: bool = True, hook: str = "") -> dict:
    return {
        "candidate": {"first_name": "Léa", "last_name": "Martin", "full_name": "Léa Martin", "desired_role": ""},
        "recruiter": {"first_name": "Claire", "full_name": "Claire Dubois", "email": "c@x.example", "phone": "", "signature": "Claire Dubois\nAgence Test"},
        "company": "Agence Test",
        "job": {"title": "Développeur Java"} if job else None,
        "hook": hook,
        "previous": {"date": "lundi 2 mars", "channel": "email", "subject": "Développeur Java chez Agence Test", "excerpt": "…"} if previous else None,
        "step": 1,
        "trigger": "",
        "processing_days": 2,
        "answer_days": 14,
        "pool_link": "http://localhost:8000/c/pool/token/",
        "notice": "Why this message: … http://localhost:8000/c/preferences/token/",
        "interview": {"when": "jeudi 5 mars à 14:00", "duration": "1 h", "minutes": 60, "interviewer": "Claire Dubois", "place": "12 rue de la Paix, Paris", "video_url": "https://meet.example.com/abc", "previous_when": "mercredi 4 mars à 10:00"},
    }  # fmt: skip


def test_every_template_a_plan_can_use_exists_in_french_and_english():
    library = builtin()
    missing = [
        (n, lang)
        for n in sorted(every_plan_template())
        for lang in LANGUAGES
        if (n, lang) not in library
    ]
    assert not missing
    assert {name for name, _ in library} == every_plan_template() | {
        "first_message.0.email",
        "first_message.0.linkedin",
        "first_message.0.sms",
        "cv_database.0.phone",
        "campaign.job_offer",  # the default text of a new campaign
        "pool.renewal.email",  # retention: asked to renew, 30 days before the 2 years
        # Interviews (followups/interviews.py): the confirmation with its guide, the notices.
        "interview.confirmation.email",
        "interview.rescheduled.email",
        "interview.cancelled.email",
    }


@pytest.mark.parametrize("key", sorted(builtin()), ids=lambda k: f"{k[0]}-{k[1]}")
def test_every_template_renders_with_and_without_optional_values(key):
    source = builtin()[key]
    assert not undeclared(source)
    for job in (True, False):
        for hook in ("", "J'ai lu votre article sur Kotlin"):
            rendered = render(source, variables(previous=True, job=job, hook=hook))
            assert rendered.body
            assert "None" not in rendered.body
            assert "{{" not in rendered.body
            assert "{%" not in rendered.body
            if key[0].endswith(".email") or key[0].startswith("campaign."):
                assert rendered.subject


def test_follow_ups_refer_to_the_previous_message_and_differ_from_it():
    """The editor's checks (messaging/checks.py) pass on every built-in template."""
    library = builtin()
    checked = 0
    for (name, language), source in library.items():
        step = step_of(name)
        if step is None or step[1] < 1 or step[2] == "phone":
            continue
        before = library.get((f"{step[0]}.{step[1] - 1}.{step[2]}", language))
        assert check(source, before, variables()) == [], f"{name} ({language})"
        checked += 1
    assert checked >= 20


def test_the_checks_catch_a_copy_of_the_step_before_and_a_follow_up_that_ignores_it():
    library = builtin()
    before = library[("first_message.0.email", "en")]
    copy = Source("first_message.1.email", "en", before.subject, before.body)
    codes = {p.code for p in check(copy, before, variables())}
    assert codes == {"ignores_previous", "repeats_previous"}
    unknown = Source("first_message.1.email", "en", "Re", "Hi {{ candidat.first_name }}")
    assert [(p.code, p.blocking) for p in check(unknown, before, variables())] == [
        ("unknown_variable", True)
    ]


def test_a_missing_variable_is_an_error_before_sending_never_a_blank():
    source = Source(
        "custom", "fr", "", "Bonjour {{ candidate.first_name }}, {{ candidate.nickname }} !"
    )
    with pytest.raises(TemplateProblem, match="missing value"):
        render(source, variables())


def test_an_unknown_variable_is_reported_by_name():
    source = Source("custom", "fr", "", "Bonjour {{ prenom }}")
    with pytest.raises(TemplateProblem, match=r"unknown variable.*prenom"):
        render(source, variables())


def test_a_template_cannot_reach_into_python():
    source = Source("custom", "fr", "", "{{ candidate.__class__.__mro__ }}")
    with pytest.raises(TemplateProblem):
        render(source, variables())


def test_a_syntax_error_names_the_line():
    source = Source("custom", "fr", "", "Bonjour\n{% if job %}oops")
    with pytest.raises(TemplateProblem, match="line"):
        render(source, variables())


# --- the text as a careful person writes it (issue 12) --------------------------------------

# Templates whose text a recruiter edits before it leaves: they may hold [placeholders].
PERSONAL = every_plan_template(personal=True)

# The previous subjects a follow-up may answer, as mail clients leave them.
PREVIOUS_SUBJECTS = (
    "Développeur Java chez Agence Test",
    "Re: Développeur Java chez Agence Test",
    "RE : Re: Développeur Java chez Agence Test",
    "TR: Re[2]: Développeur Java chez Agence Test",
    "Fwd: Développeur Java chez Agence Test",
)
# A sentence's end glued to the next one's start ("…en quelques minutes.Qu'en dites-vous ?").
GLUED = re.compile(r"[\w)»][.!?…:;][«»\"'’]?[A-ZÀ-ÖØ-Þ]")
LINKS = re.compile(r"\S+://\S+|\S+@\S+")


def realistic_contexts(name: str):
    """Every combination a template's conditions look at, with real-looking values (a
    follow-up always has a message before it)."""
    step = step_of(name)
    before = (*PREVIOUS_SUBJECTS, "phone") if step and step[1] >= 1 else (None, *PREVIOUS_SUBJECTS)
    for job in (True, False):
        for hook in ("", "J'ai lu votre article sur Kotlin"):
            for previous in before:
                for trigger in ("", "work_anniversary", "new_job", "post"):
                    values = variables(previous=previous is not None, job=job, hook=hook)
                    values["trigger"] = trigger
                    if previous == "phone":
                        values["previous"] |= {"channel": "phone", "subject": ""}
                    elif previous is not None:
                        values["previous"]["subject"] = previous
                    yield values


def reply_marks(subject: str) -> int:
    return len(re.findall(r"(?i)(?:^|\s)(?:re|aw|sv|tr|fwd?)\s*(?:\[\d+\])?\s*:", subject))


@pytest.mark.parametrize("key", sorted(builtin()), ids=lambda k: f"{k[0]}-{k[1]}")
def test_every_template_reads_as_a_careful_person_would_write_it(key):
    source = builtin()[key]
    name, _ = key
    is_email = name.endswith(".email") or name.startswith("campaign.")
    for values in realistic_contexts(name):
        rendered = render(source, values)
        body, subject = rendered.body, rendered.subject
        where = f"{name} ({key[1]}) with {values['previous']}, job={values['job']}"
        # Every line break of the text is kept (none glued to a tag's end), plus the
        # signature's own.
        signature = source.body.count("recruiter.signature") * values["recruiter"][
            "signature"
        ].count("\n")
        assert body.count("\n") == source.body.count("\n") + signature, where
        assert not GLUED.search(LINKS.sub(" ", body)), (where, GLUED.search(LINKS.sub(" ", body)))
        assert "\n\n\n" not in body, where
        assert body == body.strip(), where
        assert all(line == line.rstrip() for line in body.splitlines()), where
        assert "  " not in body, where
        for leftover in ("{{", "{%", "None"):
            assert leftover not in body, where
        if name not in PERSONAL:
            assert placeholders(body) == [], where
        # A subject on one line, for e-mails only, with one "Re: " at most.
        if not is_email:
            assert subject == "", where
            continue
        assert subject, where
        assert "\n" not in subject, where
        assert subject == subject.strip(), where
        assert reply_marks(subject) <= 1, (where, subject)
        assert placeholders(subject) == [], where
        answered = values["previous"] and values["previous"]["subject"]
        if answered and source.subject.startswith("Re: {{ previous.subject }}"):
            assert subject == "Re: Développeur Java chez Agence Test", where


def test_the_placeholders_of_our_templates_follow_one_form_and_only_in_personal_e_mails():
    """A placeholder is "[" then at least two words, ending with a full stop or an
    ellipsis, then "]". Every bracket of a built-in template is one, and only the e-mails
    a recruiter edits hold them."""
    holding = set()
    for (name, language), source in builtin().items():
        brackets = re.findall(r"\[[^\]]*\]", source.subject + source.body)
        for bracket in brackets:
            assert PLACEHOLDER.fullmatch(bracket), (name, language, bracket)
        if brackets:
            holding.add(name)
    assert holding == {"interview_feedback.0.email", "rejection.late.email"}
    assert holding <= PERSONAL
    for text in ("Développeur Java [H/F]", "[…]", "[1]", "[PDF]", "[voir le site](https://x.y)"):
        assert placeholders(text) == [], text
    assert placeholders("Un conseil : [un conseil concret…]") == ["[un conseil concret…]"]


def test_a_tag_within_a_line_keeps_the_line_break_and_a_line_of_tags_alone_goes():
    text = (
        "Bonjour,\n{% if job %}Le poste est ouvert.{% else %}Un projet.{% endif %}\n"
        "Qu'en dites-vous ?\n  {% if hook %}\n{{ hook }}\n  {% endif %}\nÀ bientôt"
    )
    source = Source("custom", "fr", "", text)
    values = variables(hook="J'ai lu votre article")
    assert render(source, values).body == (
        "Bonjour,\nLe poste est ouvert.\nQu'en dites-vous ?\nJ'ai lu votre article\nÀ bientôt"
    )
    assert render(source, variables(job=False)).body == (
        "Bonjour,\nUn projet.\nQu'en dites-vous ?\nÀ bientôt"
    )
    # A syntax error still names its line, the lines of tags alone counted.
    broken = Source("custom", "fr", "", "{% if job %}\nA\n{% endif %}\nB\n{% if %}")
    with pytest.raises(TemplateProblem, match="line 5"):
        render(broken, variables())


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Re: Re: Développeur Java", "Re: Développeur Java"),
        ("RE : RE : Développeur Java", "Re: Développeur Java"),
        ("Re[2]: AW: Développeur Java", "Re: Développeur Java"),
        ("Re: TR: Développeur Java", "Re: Développeur Java"),
        ("Re: Fwd: Re: Développeur Java", "Re: Développeur Java"),
        ("Re:\u00a0Développeur   Java", "Re: Développeur Java"),
        ("TR: Développeur Java", "TR: Développeur Java"),  # no reply mark: as it is
        ("Réf : 2026-17, Développeur Java", "Réf : 2026-17, Développeur Java"),
        ("Recrutement : Développeur Java", "Recrutement : Développeur Java"),
    ],
)
def test_a_subject_opens_with_one_re_at_most(given, expected):
    assert subject_line(given) == expected
