"""The candidate list's search: accents and case outside ASCII folded on every database,
through a search key kept right by every door that writes a name or an e-mail."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from relance.people import rights
from relance.people.models import Candidate
from relance.people.search import fold, key
from tests import web_world
from tests.web_world import NOW

pytestmark = pytest.mark.django_db


def found(client, q):
    body = client.get(reverse("web:candidates"), {"q": q}).content.decode()
    return body


def test_it_folds_case_and_accents():
    assert fold("  Élodie   LEFÈVRE ") == "elodie lefevre"
    assert fold("Œuvre Straße Łódź Øster") == "oeuvre strasse lodz oster"
    assert (
        key("Élodie", "Lefèvre", "E.Lefevre@Example.org") == "lefevre elodie e.lefevre@example.org"
    )


def test_the_search_ignores_accents_and_case_outside_ascii(client_of, world):
    elodie = web_world._candidate(world.org, "Élodie", "elodie@example.org")
    Candidate.objects.filter(pk=elodie.pk).update(last_name="Lefèvre")
    other = web_world._candidate(world.org, "Zoé", "zoe@example.org")
    client = client_of(world.admin)
    for q in ("élodie", "ELODIE", "Élodie", "lefevre", "LEFÈVRE", "lefè", "élodie lefèvre"):
        body = found(client, q)
        assert f'href="/candidates/{elodie.pk}/"' in body, q
        assert f'href="/candidates/{other.pk}/"' not in body, q
    assert f'href="/candidates/{other.pk}/"' in found(client, "zoe")
    assert f'href="/candidates/{other.pk}/"' in found(client, "ZOÉ")
    # A word inside a compound name, and the start of the e-mail.
    Candidate.objects.filter(pk=other.pk).update(last_name="Le Gall")
    assert f'href="/candidates/{other.pk}/"' in found(client, "gall")
    assert f'href="/candidates/{other.pk}/"' in found(client, "zoe@exa")
    assert f'href="/candidates/{other.pk}/"' not in found(client, "all")  # not mid-word


def test_every_door_that_writes_a_name_keeps_the_key(world):
    person = web_world._candidate(world.org, "Hélène", "h@example.org")
    assert person.search_key == "martin helene h@example.org"
    person.last_name = "Crémieux"
    person.save(update_fields=["last_name"])
    assert Candidate.objects.get(pk=person.pk).search_key == "cremieux helene h@example.org"
    Candidate.objects.filter(pk=person.pk).update(email="Hélène.C@Example.org")
    assert Candidate.objects.get(pk=person.pk).search_key == (
        "cremieux helene helene.c@example.org"
    )
    person.refresh_from_db()
    person.first_name = "Anaïs"
    Candidate.objects.bulk_update([person], ["first_name"])
    assert Candidate.objects.get(pk=person.pk).search_key == "cremieux anais helene.c@example.org"
    made = Candidate.objects.bulk_create(
        [Candidate(organisation=world.org, first_name="Ève", last_name="Noël", created_at=NOW)]
    )
    assert Candidate.objects.get(pk=made[0].pk).search_key == "noel eve"


def test_anonymisation_and_erasure_leave_no_search_key(world, client_of):
    person = web_world._candidate(world.org, "Noémie", "noemie@example.org")
    rights.anonymise(person, NOW)
    assert Candidate.objects.get(pk=person.pk).search_key == ""
    assert f'href="/candidates/{person.pk}/"' not in found(client_of(world.admin), "noemie")
    gone = web_world._candidate(world.org, "Gaëlle", "gaelle@example.org")
    rights.erase(gone, world.admin, NOW)
    assert not Candidate.objects.filter(search_key__contains="gaelle").exists()


def test_the_migration_writes_the_key_of_the_candidates_already_there(world):
    person = web_world._candidate(world.org, "Jérôme", "jerome@example.org")
    Candidate.objects.filter(pk=person.pk).update(search_key="")  # as before the migration
    migration = importlib.import_module("relance.people.migrations.0005_candidate_search_key")
    migration.fill_search_keys(apps, None)
    assert Candidate.objects.get(pk=person.pk).search_key == "martin jerome jerome@example.org"
