from datetime import timedelta

from relance.engine import CallOutcome, Channel, Policy, rules
from tests.conftest import paris
from tests.engine.builders import out

POLICY = Policy()
TZ = "Europe/Paris"


def test_one_message_a_day_pushes_the_next_to_the_following_local_day():
    sent = [paris(2026, 3, 3, 10, 0)]
    assert rules.pressure_earliest(paris(2026, 3, 3, 15, 0), sent, TZ, POLICY) == paris(
        2026, 3, 4, 0, 0
    )


def test_two_messages_in_seven_days_hold_the_third_until_the_first_leaves_the_window():
    sent = [paris(2026, 3, 2, 10, 0), paris(2026, 3, 4, 11, 0)]
    earliest = rules.pressure_earliest(paris(2026, 3, 5, 9, 0), sent, TZ, POLICY)
    assert earliest == paris(2026, 3, 9, 10, 0)


def test_the_cap_looks_both_ways_for_an_overdue_message():
    # Due Monday, but messages already left the Friday before and the Tuesday after:
    # sending "Monday" would put three in seven days.
    sent = [paris(2026, 3, 6, 10, 0), paris(2026, 3, 10, 10, 0)]
    earliest = rules.pressure_earliest(paris(2026, 3, 9, 10, 0), sent, TZ, POLICY)
    window = [t for t in [*sent, earliest] if earliest - timedelta(days=7) < t <= earliest]
    assert len(window) <= 2
    assert earliest == paris(2026, 3, 13, 10, 0)


def test_a_message_that_doubles_a_counted_call_is_the_same_contact():
    voicemail = out(
        paris(2026, 3, 3, 10, 0), Channel.PHONE, thread=1, outcome=CallOutcome.VOICEMAIL
    )
    sms = out(paris(2026, 3, 3, 10, 1), Channel.SMS, thread=1, doubles_call=True)
    assert rules.counted_times([voicemail, sms]) == [voicemail.at]
    missed = out(paris(2026, 3, 3, 10, 0), Channel.PHONE, thread=2, outcome=CallOutcome.NO_ANSWER)
    sms2 = out(paris(2026, 3, 3, 10, 1), Channel.SMS, thread=2, doubles_call=True)
    assert rules.counted_times([missed, sms2]) == [sms2.at]


def test_acknowledgements_and_unanswered_calls_do_not_count():
    from relance.engine import Direction, Touch, TouchKind

    ack = Touch(
        seq=1,
        at=paris(2026, 3, 3, 10),
        kind=TouchKind.ACKNOWLEDGEMENT,
        direction=Direction.OUT,
        channel=Channel.EMAIL,
    )
    missed = out(paris(2026, 3, 3, 11), Channel.PHONE, outcome=CallOutcome.NO_ANSWER)
    answered = out(paris(2026, 3, 3, 12), Channel.PHONE, outcome=CallOutcome.ANSWERED)
    assert rules.counted_times([ack, missed, answered]) == [answered.at]


def test_written_messages_of_a_thread_are_two_days_apart_but_calls_are_not_messages():
    last = out(paris(2026, 3, 3, 10, 0), Channel.EMAIL, thread=1)
    assert rules.written_spacing_earliest(
        paris(2026, 3, 4, 10), [last], Channel.SMS, POLICY
    ) == paris(2026, 3, 5, 10)
    assert rules.written_spacing_earliest(
        paris(2026, 3, 4, 10), [last], Channel.PHONE, POLICY
    ) == paris(2026, 3, 4, 10)


def test_near_identical_messages_are_recognised_and_different_ones_are_not():
    body = (
        "Bonjour Léa, je reviens vers vous au sujet de mon e-mail du lundi 2 mars : il a peut-être "
        "été noyé dans votre boîte, ce qui arrive souvent. Le poste de développeur Java est ouvert "
        "et l'équipe cherche quelqu'un avec votre expérience. Je peux vous envoyer le descriptif. "
    )
    a = body + "Claire Dubois, Agence Test"
    b = body + "Thomas Moreau, Agence Test"  # the same template, from another recruiter
    c = "Bonjour Léa, merci pour votre candidature : nous l'avons bien reçue."
    assert rules.similarity(a, a) == 1.0
    assert rules.near_duplicate_of(b, [c, a]) == a
    assert rules.near_duplicate_of(c, [a]) is None
