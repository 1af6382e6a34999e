"""My signature and sending identity on the settings page: a value that does not fit is
refused with why, in the reader's language, and nothing is saved (issue 12, section 4)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from relance.messaging.models import Sender
from relance.people.models import Recruiter

SAVED = {"signature": "Claire, Agence Test", "phone": "+33 6 00 00 00 00"}


def post(client, **form: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("web:settings_identity"), form)


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"address": "claire@test.example", "host": "smtp.test.example", "port": "999999"},
         "Expected a port number from 1 to 65535."),
        ({"address": "claire@test.example", "port": "vingt"}, "Expected a port number from 1 to 65535."),
        ({"address": "claire@test.example", "port": "0"}, "Expected a port number from 1 to 65535."),
        ({"host": "smtp.test.example", "username": "claire"},
         "Your own SMTP server is used only with a sending address"),
        ({"signature": "x" * 2001}, "Ensure this value has at most 2000 characters (it has 2001)."),
        ({"address": "pas-une-adresse"}, "Enter a valid email address."),
        ({"address": "claire@test.example", "security": "tls9"}, "Select a valid choice."),
    ],
)  # fmt: skip
def test_a_value_that_does_not_fit_is_refused_and_nothing_is_saved(client_of, world, form, said):
    Recruiter.objects.filter(pk=world.admin.pk).update(**SAVED)
    form = {"signature": "Changed", **form}
    response = post(client_of(world.admin), **form)
    assert response.status_code == 400
    page = response.content.decode()
    assert said in page.replace("&#x27;", "'")
    assert "Nothing saved: some values do not fit, see below." in page
    assert 'aria-invalid="true"' in page
    assert "Saved." not in page
    admin = Recruiter.objects.get(pk=world.admin.pk)
    assert (admin.signature, admin.phone) == (SAVED["signature"], SAVED["phone"])
    assert not Sender.objects.filter(recruiter=world.admin).exists()
    # What was typed is shown again, to be corrected rather than typed anew.
    typed = form.get("host") or form.get("address") or form["signature"]
    assert typed[:50] in page


def test_the_refusal_is_in_french_for_a_french_reader(client_of, world):
    response = post(client_of(world.admin, "fr"), signature="x" * 2500, host="smtp.test.example")
    page = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 400
    assert "Rien n'est enregistré" in page
    assert "Votre propre serveur SMTP ne sert qu'avec une adresse d'envoi" in page
    assert "au plus 2000 caractères (actuellement 2500)" in page


def test_a_signature_of_2000_characters_and_an_own_server_are_saved_whole(client_of, world):
    client = client_of(world.admin)
    signature = "Claire Dubois — Agence Test\n" + "x" * (2000 - 28)
    response = post(client, signature=signature, phone="+33 6 12", address="claire@test.example",
                    name="Claire Dubois", host="smtp.test.example", port="465",
                    username="claire", password="s3cret", security="ssl")  # fmt: skip
    assert response.status_code == 302
    assert Recruiter.objects.get(pk=world.admin.pk).signature == signature
    sender = Sender.objects.get(recruiter=world.admin)
    assert (sender.address, sender.host, sender.port, sender.security) == (
        "claire@test.example", "smtp.test.example", 465, "ssl",
    )  # fmt: skip
    assert "Saved." in client.get(reverse("web:settings")).content.decode()
    # Saving again without a password keeps the stored one.
    stored = sender.password_encrypted
    post(client, signature="Claire", address="claire@test.example", host="smtp.test.example",
         port="465", security="ssl")  # fmt: skip
    assert Sender.objects.get(recruiter=world.admin).password_encrypted == stored
