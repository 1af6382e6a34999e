"""The built-in templates: complete, renderable, different from one step to the next,
and each follow-up refers to the message before it."""

from datetime import datetime, timedelta, timezone

import pytest

from relance.engine import Channel, Policy, Situation
from relance.engine.plans import plan_for
from relance.engine.types import CandidateView, ThreadView
from relance.messaging.checks import check, step_of
from relance.messaging.render import Source, TemplateProblem, builtin, render, undeclared

LANGUAGES = ("fr", "en")
NOW = datetime(2026, 3, 2, 9, tzinfo=timezone(timedelta(hours=1)))


def every_plan_template() -> set[str]:
    """Every template any plan can ask for, over every combination of channels."""
    names = {"application.ack.email"}
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
