"""The built-in templates: complete, renderable, different from one step to the next,
and each follow-up refers to the message before it."""

from datetime import datetime, timedelta, timezone

import pytest

from relance.engine import Channel, Policy, Situation
from relance.engine.plans import plan_for
from relance.engine.rules import similarity
from relance.engine.types import CandidateView, ThreadView
from relance.messaging.render import Source, TemplateProblem, builtin, render, undeclared, uses

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
            if key[0].endswith(".email"):
                assert rendered.subject


def test_follow_ups_refer_to_the_previous_message_and_differ_from_it():
    library = builtin()
    checked = 0
    for (name, language), source in library.items():
        situation, step, channel = name.split(".")
        if not step.isdigit() or int(step) < 1 or channel == "phone":
            continue
        assert uses(source, "previous"), (
            f"{name} ({language}) does not refer to the previous message"
        )
        before = library.get((f"{situation}.{int(step) - 1}.{channel}", language))
        if before is None:
            continue
        now_text = render(source, variables()).body
        before_text = render(before, variables()).body
        assert similarity(now_text, before_text) < 0.5, (
            f"{name} ({language}) repeats the step before"
        )
        checked += 1
    assert checked >= 20


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
