"""The hand-written writes of the hot paths (followups/sql.py) store what the ORM would."""

from datetime import timedelta

from relance.engine import Channel
from relance.followups import sql
from relance.followups.models import Thread, Touchpoint
from relance.messaging.models import OutboxMessage
from relance.people.models import Candidate
from tests.conftest import approach


def prepared_by_the_fields(objs, fields):  # type: ignore[no-untyped-def]
    from django.db import connection

    return [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] for obj in objs
    ]


def unwrapped(rows):  # type: ignore[no-untyped-def]
    """psycopg's JSON wrapper compares by identity: compare what it wraps. (Its integer
    wrappers, Int2 and the like, are ints and compare as such.)"""
    return [[getattr(value, "obj", value) for value in row] for row in rows]


def test_values_are_the_ones_the_fields_themselves_prepare(org, recruiter):
    from relance.followups import services

    _, thread = approach(org, recruiter)
    services.queue_send(thread.pk, thread.due_at)
    thread.refresh_from_db()
    thread.reason_params = {"days": 3, "text": "é"}  # JSON, beside text, numbers and None
    for model, objs in [
        (Thread, [thread]),
        (Touchpoint, list(Touchpoint.objects.all())),
        (Candidate, list(Candidate.objects.all())),
        (OutboxMessage, list(OutboxMessage.objects.all())),
    ]:
        fields = list(model._meta.concrete_fields)
        assert objs, model
        expected = unwrapped(prepared_by_the_fields(objs, fields))
        assert unwrapped(sql.values_for(objs, fields)) == expected, model


def test_insert_and_update_write_what_the_orm_reads_back(org, recruiter):
    candidate, thread = approach(org, recruiter)
    first = Touchpoint.objects.get(thread=thread)
    later = first.at + timedelta(days=2)
    copies = [
        Touchpoint(organisation_id=org.pk, candidate_id=candidate.pk, thread_id=thread.pk,
                   at=later + timedelta(minutes=n), kind=first.kind, direction=first.direction,
                   channel=Channel.EMAIL, subject=f"n°{n}", body="", reason="test")
        for n in range(3)
    ]  # fmt: skip
    sql.insert(Touchpoint, copies)
    stored = list(Touchpoint.objects.filter(reason="test").order_by("at"))
    assert [(t.subject, t.at, t.candidate_id) for t in stored] == [
        (f"n°{n}", later + timedelta(minutes=n), candidate.pk) for n in range(3)
    ]
    thread.due_at, thread.next_step, thread.reason_params = None, 2, {"why": "test"}
    thread.priority, thread.next_template = 123_456_789_012, "relance.test"
    candidate.last_contact_at = later
    sql.update(Thread, [thread], ["due_at", "next_step", "reason_params", "priority",
                                  "next_template"])  # fmt: skip
    sql.update(Candidate, [candidate], ["last_contact_at", "owner"])
    thread.refresh_from_db()
    candidate.refresh_from_db()
    assert (thread.due_at, thread.next_step, thread.reason_params) == (None, 2, {"why": "test"})
    assert (thread.priority, thread.next_template) == (123_456_789_012, "relance.test")
    assert candidate.last_contact_at == later


def test_many_rows_are_cut_under_postgresqls_parameter_limit():
    rows = [[n] * 20 for n in range(7_000)]
    chunks = sql._chunks(rows, 20)
    assert [len(chunk) for chunk in chunks] == [3_000, 3_000, 1_000]
    assert all(len(sql._flat(chunk)) < 65_535 for chunk in chunks)
    assert [row for chunk in chunks for row in chunk] == rows
