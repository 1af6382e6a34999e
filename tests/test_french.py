"""French elision before a name: one helper (relance/french.py) for every text that puts a
name after "de", "que", "le"…: "Claire d'Agence Démo", never "Claire de Agence Démo"."""

from __future__ import annotations

import pytest

from relance.french import elide, starts_with_vowel_sound
from relance.pools import campaigns, consent


@pytest.mark.parametrize(
    ("word", "name", "written"),
    [
        ("de", "Agence Démo", "d'Agence Démo"),
        ("que", "Agence Démo", "qu'Agence Démo"),
        ("le", "Atelier", "l'Atelier"),
        ("de", "Élan Conseil", "d'Élan Conseil"),
        ("de", "Ubisoft", "d'Ubisoft"),
        ("de", "IBM", "d'IBM"),
        ("de", "Œuvre", "d'Œuvre"),
        ("de", "Hélène", "d'Hélène"),  # a mute h
        ("de", "Hermès", "d'Hermès"),
        ("de", "Hachette", "de Hachette"),  # an aspirated h
        ("le", "Havre", "le Havre"),
        ("de", "Yves", "d'Yves"),  # y before a consonant sounds like a vowel
        ("de", "Yahoo", "de Yahoo"),
        ("de", "Relance", "de Relance"),
        ("de", "3M", "de 3M"),
        ("de", "", "de "),
        ("De", "Agence Démo", "D'Agence Démo"),
        ("jusque", "aujourd'hui", "jusqu'aujourd'hui"),
        ("pour", "Agence Démo", "pour Agence Démo"),  # no elided form
        ("de", "  Agence Démo ", "d'Agence Démo"),
    ],
)
def test_it_elides_before_a_vowel_sound(word, name, written):
    assert elide(word, name) == written


def test_only_a_vowel_sound_elides():
    assert starts_with_vowel_sound("à la carte")
    assert not starts_with_vowel_sound("Bordeaux")
    assert not starts_with_vowel_sound("-x")


def test_the_consent_wording_and_the_campaign_footer_elide_the_company():
    assert consent.wording("talent_pool", "fr", "Agence Démo").startswith(
        "J'accepte qu'Agence Démo conserve mon profil"
    )
    assert "les offres d'Agence Démo qui" in consent.wording("job_alerts", "fr", "Agence Démo")
    assert "des nouvelles d'Agence Démo (" in consent.wording("newsletter", "fr", "Agence Démo")
    assert consent.wording("talent_pool", "fr", "Relance").startswith("J'accepte que Relance")
    assert "I agree that Agence Démo keeps" in consent.wording("talent_pool", "en", "Agence Démo")
    footer = campaigns.FOOTER["fr"].format(
        company="Agence Démo", de_company=elide("de", "Agence Démo"), preferences="p", withdraw="w"
    )
    assert "vous avez rejoint le vivier d'Agence Démo." in footer


def test_the_french_e_mail_and_sms_templates_elide_before_the_company_and_the_job():
    """The built-in French templates put the company and the job title after "de" and
    "que": "Claire d'Agence Démo", "le poste d'Ingénieur DevOps" (issue 12)."""
    from relance.messaging.render import builtin, render

    variables = {
        "candidate": {"first_name": "Léa"},
        "recruiter": {"first_name": "Claire", "signature": "Claire"},
        "company": "Agence Démo",
        "job": {"title": "Ingénieur DevOps"},
    }
    context = {**variables, "hook": "", "notice": "", "previous": None}
    text = render(builtin()[("first_message.0.sms", "fr")], context).body
    assert "Claire d'Agence Démo" in text
    assert "de Agence" not in text
    spoken = render(builtin()[("cv_database.0.phone", "fr")], context).body
    assert "opportunité d'Ingénieur DevOps" in spoken
    assert "de Ingénieur" not in spoken
