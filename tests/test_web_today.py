"""Today's rows: what an action leaves on the page (snooze, send), for every kind of row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from relance import clock
from relance.followups.models import Thread
from tests.conftest import paris

pytestmark = pytest.mark.django_db


def group_of(page: str, thread_id: int) -> str | None:
    """The group of Today ("overdue", "due", "later", "held") that holds a thread's row."""
    for key in ("overdue", "due", "later", "held"):
        marker = f'<section class="group {key}"'
        if marker not in page:
            continue
        section = page.split(marker)[1].split("</section>")[0]
        if f'id="thread-{thread_id}"' in section:
            return key
    return None


def test_snoozing_an_answer_due_row_puts_it_off(client_of, world):
    """Paul applied on Monday 2 March: on Saturday 14 March his application is to be
    answered within two days (an alert, not a message). "Tomorrow" puts it off: after a
    reload it is no longer to do now, but held back to tomorrow, with the reason."""
    clock.start_at(paris(2026, 3, 14, 10, 0))
    alert = Thread.objects.get(candidate=world.paul, situation="answer_deadline")
    client = client_of(world.admin)
    assert group_of(client.get(reverse("web:today")).content.decode(), alert.pk) == "due"
    url = reverse("web:thread_act", args=[alert.pk, "snooze"])
    row = client.post(url, {"days": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Put off: Tomorrow." in row
    page = client.get(reverse("web:today")).content.decode()
    assert group_of(page, alert.pk) == "held"
    held = page.split(f'id="thread-{alert.pk}"')[1].split("</li>")[0]
    assert "Waiting: put off by the recruiter until Sunday 15 March at 10:00" in held


def test_a_personal_e_mail_row_offers_send_first(client_of, world):
    """A personal e-mail to write (a rejection after an interview): the row's primary action
    opens the editor to write and send it; marking it done (sent from one's own mailbox)
    is the second choice. It used to be the other way round."""
    from datetime import timedelta

    from relance.followups import services
    from relance.followups.events import Event, EventType
    from tests.web_world import NOW

    later = NOW + timedelta(days=6)
    clock.start_at(later)
    for stage in ("interview", "final", "rejected"):
        services.record_event(Event(EventType.STAGE_CHANGED, NOW, world.paul, recruiter=world.admin,
                                    job=world.job, outcome=stage), NOW)  # fmt: skip
    thread = Thread.objects.get(candidate=world.paul, situation="rejection")
    services.complete_task(thread.pk, later, outcome="answered", recruiter=world.admin)
    thread.refresh_from_db()
    assert (thread.next_kind, thread.next_channel) == ("task", "email")
    client = client_of(world.admin)
    page = client.get(reverse("web:today")).content.decode()
    row = page.split(f'id="thread-{thread.pk}"')[1].split("</li>")[0]
    assert '<summary class="button primary">Write and send the e-mail</summary>' in row
    assert '<button class="primary">' not in row  # "mark done" is not the primary action
    assert "Sent from my own mailbox: mark done" in row
    editor = client.get(reverse("web:thread_message", args=[thread.pk])).content.decode()
    assert '<button type="submit" class="primary">Send this e-mail</button>' in editor
    # An e-mail the system sends itself keeps "Send now" as its primary action.
    email_row = page.split(f'id="thread-{world.email_thread.pk}"')[1].split("</li>")[0]
    assert "Send now" in email_row


def test_a_row_action_announces_what_it_did_outside_the_row(client_of, world):
    """htmx replaces the row: its message is marked to take the focus (relance.js), and the
    page's live region, outside the row, receives it (an out-of-band swap)."""
    client = client_of(world.admin)
    page = client.get(reverse("web:today")).content.decode()
    assert '<p id="row-status" class="sr" role="status" aria-live="polite"></p>' in page
    url = reverse("web:thread_act", args=[world.call_thread.pk, "call"])
    row = client.post(url, {"outcome": "voicemail"}, HTTP_HX_REQUEST="true").content.decode()
    assert '<p class="done" tabindex="-1" data-focus>Call logged: Voicemail left.</p>' in row
    assert (
        '<p id="row-status" class="sr" hx-swap-oob="innerHTML">Call logged: Voicemail left.</p>'
        in row
    )


def test_a_personal_e_mail_refused_keeps_the_recruiters_text_and_says_why(client_of, world):
    """Sent with a placeholder of the template left in it, the e-mail does not leave; the
    editor comes back with what the recruiter wrote and the reason, and the focus on it."""
    from datetime import timedelta

    from relance.followups import services
    from relance.followups.events import Event, EventType
    from relance.messaging.models import OutboxMessage
    from tests.web_world import NOW

    later = NOW + timedelta(days=6)
    clock.start_at(later)
    for stage in ("interview", "final", "rejected"):
        services.record_event(Event(EventType.STAGE_CHANGED, NOW, world.paul, recruiter=world.admin,
                                    job=world.job, outcome=stage), NOW)  # fmt: skip
    thread = Thread.objects.get(candidate=world.paul, situation="rejection")
    services.complete_task(thread.pk, later, outcome="answered", recruiter=world.admin)
    client = client_of(world.admin)
    url = reverse("web:thread_act", args=[thread.pk, "send_edited"])
    body = "Paul, merci. [Les raisons, deux au plus, concrètes.] Mon conseil : écrivez plus."
    refused = client.post(url, {"subject": "Votre candidature", "body": body},
                          HTTP_HX_REQUEST="true")  # fmt: skip
    assert refused.status_code == 200
    form = refused.content.decode()
    assert "Mon conseil : écrivez plus." in form  # the recruiter's text is kept
    assert 'tabindex="-1" data-focus>Not sent:' in form
    assert "Les raisons, deux au plus" in form.split("Not sent:")[1]  # names the placeholder
    assert 'id="row-status" class="sr" hx-swap-oob="innerHTML">Not sent:' in form
    assert not OutboxMessage.objects.filter(thread=thread).exists()
    sent = client.post(url, {"subject": "Votre candidature", "body": "Paul, merci pour tout."},
                       HTTP_HX_REQUEST="true")  # fmt: skip
    assert sent["HX-Retarget"] == f"#thread-{thread.pk}"  # the whole row, as the action left it
    assert "Queued as you wrote it" in sent.content.decode()
    assert OutboxMessage.objects.filter(thread=thread).count() == 1


def test_a_follow_up_held_by_the_weekend_says_so(client_of, world):
    """Whatever reason the engine gives comes with its sentence: a follow-up due on a
    Saturday waits for Monday, "the weekend", not "outside sending hours"."""
    from relance.engine import Channel, Situation
    from relance.followups import services
    from relance.followups.events import Event, EventType
    from tests import web_world

    thursday = paris(2026, 3, 5, 9, 0)
    person = web_world._candidate(world.org, "Inès", "ines@example.org")
    services.record_event(Event(EventType.MESSAGE_SENT, thursday, person, recruiter=world.admin,
                                channel=Channel.EMAIL, situation=Situation.FIRST_MESSAGE),
                          thursday)  # fmt: skip
    thread = Thread.objects.get(candidate=person)
    assert thread.delay_reason == "weekend"  # due Saturday, held to Monday
    clock.start_at(paris(2026, 3, 7, 10, 0))  # Saturday
    client = client_of(world.admin)
    page = client.get(reverse("web:today")).content.decode()
    assert group_of(page, thread.pk) == "held"
    row = page.split(f'id="thread-{thread.pk}"')[1].split("</li>")[0]
    assert "Waiting: the weekend, resuming on Monday 9 March at 08:00" in row
    fr = client_of(world.admin, "fr").get(reverse("web:candidate", args=[person.pk]))
    assert "En attente : le week-end, reprise le lundi 9 mars à 08:00" in fr.content.decode()
