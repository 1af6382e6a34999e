"""The shipped vocabulary (matching/vocabulary.py): built from ESCO, ROME and tech.txt by
scripts/build_vocabulary.py, read from the package without network, with the attribution."""

from __future__ import annotations

import socket

import pytest

from relance.matching import recognise, vocabulary

DATA = vocabulary.FILE.parent


def test_it_loads_from_the_package_without_network(monkeypatch):
    def refused(*args, **kwargs):
        raise AssertionError("the vocabulary tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refused)
    monkeypatch.setattr(socket, "create_connection", refused)
    vocabulary.load.cache_clear()
    recognise._index.cache_clear()
    try:
        loaded = vocabulary.load()
        assert len(loaded.concepts) > 10_000  # ESCO skills and occupations, ROME métiers
        assert recognise.mentions("Java")  # the recogniser's index is built from it too
    finally:
        vocabulary.load.cache_clear()
        recognise._index.cache_clear()


def test_the_shipped_file_is_small_and_attributed():
    assert vocabulary.FILE.name == "vocabulary.json.gz"
    assert vocabulary.FILE.stat().st_size < 4_000_000
    notice = (DATA / "NOTICE.md").read_text(encoding="utf-8")
    assert "European Commission" in notice
    assert "ESCO" in notice
    assert "France Travail — ROME" in notice
    assert "Licence Ouverte 2.0" in notice


@pytest.mark.parametrize("prefix", ["esco:", "rome:", "tech:"])
def test_every_source_has_concepts_with_both_names(prefix):
    found = [c for c in vocabulary.load().concepts.values() if c.id.startswith(prefix)]
    assert found
    assert all(c.fr and c.en and c.labels and c.kind in ("skill", "title") for c in found)


def test_a_concept_is_named_in_the_readers_language():
    assert vocabulary.name("tech:project-management", "fr") == "Gestion de projet"
    assert vocabulary.name("tech:project-management", "en") == "Project management"
    assert vocabulary.name("tech:project-manager", "fr-fr") == "Chef de projet"
    java = vocabulary.concept("tech:java")
    assert java.kind == "skill"
    assert "java" in java.labels
    assert vocabulary.concept("tech:kubernetes").labels.count("k8s") == 1
    # ESCO's own concepts keep both languages
    assert any(
        c.fr == "gestion de projets TIC" or c.en == "accountant"
        for c in vocabulary.load().concepts.values()
    )


def test_an_unknown_id_is_a_clear_lookup_error_or_shown_as_is():
    with pytest.raises(LookupError, match="no concept 'tech:nothing'"):
        vocabulary.concept("tech:nothing")
    assert vocabulary.name("tech:nothing", "fr") == "tech:nothing"


def test_a_label_names_one_concept_only():
    owners: dict[tuple[str, ...], str] = {}
    for c in vocabulary.load().concepts.values():
        for label in c.labels:
            key = recognise.label_key(label)
            assert owners.setdefault(key, c.id) == c.id, (label, c.id, owners[key])


def test_tech_terms_win_over_esco_homonyms():
    # ESCO's French labels call a dock worker "docker" and a club host "GO"
    assert [m.concept for m in recognise.mentions("Docker")] == ["tech:docker"]
    assert [m.concept for m in recognise.mentions("Go, Java")] == ["tech:go", "tech:java"]


def test_a_rome_job_has_its_esco_english_name_when_esco_has_it():
    assert vocabulary.name("rome:M1203", "en") == "accountant"  # Comptable
    assert vocabulary.name("rome:M1203", "fr") == "Comptable"
    web = vocabulary.concept("rome:M1855")
    assert web.en == "web developer"
