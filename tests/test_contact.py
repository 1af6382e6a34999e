"""Contact details written one way (people/contact.py): phones in E.164 shown as a
recruiter dials them, LinkedIn profiles as https://www.linkedin.com/in/slug, e-mails with
their domain in lower case; what cannot be one is refused with what was expected, in the
reader's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from relance.people import contact


@pytest.mark.parametrize(
    ("typed", "country", "stored"),
    [
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("+33 6 12 34 56 78", "FR", "+33612345678"),
        ("0033 6 12 34 56 78", "FR", "+33612345678"),
        ("  06.12.34.56.78 ", "FR", "+33612345678"),
        ("(212) 555-0123", "US", "+12125550123"),
        ("+1 212 555 0123", "FR", "+12125550123"),  # an international number in France
        ("0470 12 34 56", "BE", "+32470123456"),
        ("", "FR", ""),
    ],
)
def test_it_stores_a_phone_in_e164(typed, country, stored):
    assert contact.normalise_phone(typed, country) == stored


@pytest.mark.parametrize("typed", ["12", "06 12", "abc", "+33 1", "00 00 00 00 00", "+999 1234"])
def test_a_phone_that_cannot_exist_is_refused_with_an_example(typed):
    with translation.override("en"), pytest.raises(contact.ContactProblem) as refused:
        contact.normalise_phone(typed, "FR")
    said = str(refused.value)
    assert f"“{typed}” is not a phone number" in said
    assert "06 12 34 56 78" in said  # what a French number looks like
    assert "+44 20 7946 0958" in said


def test_a_phone_with_an_extension_is_refused_not_cut():
    with translation.override("fr"), pytest.raises(contact.ContactProblem) as refused:
        contact.normalise_phone("01 23 45 67 89 ext. 12", "FR")
    assert "poste" in str(refused.value)


def test_the_refusal_is_in_the_readers_language():
    with translation.override("fr"), pytest.raises(contact.ContactProblem) as refused:
        contact.normalise_phone("12", "FR")
    assert "n'est pas un numéro de téléphone" in str(refused.value)


@pytest.mark.parametrize(
    ("stored", "country", "shown"),
    [
        ("+33612345678", "FR", "06 12 34 56 78"),  # the agency's own country: national
        ("+12125550123", "FR", "+1 212-555-0123"),  # elsewhere: international
        ("+33612345678", "CA", "+33 6 12 34 56 78"),
        ("+33 6 12 34 56 78", "FR", "06 12 34 56 78"),  # written before normalisation
        ("call me", "FR", "call me"),  # unreadable: shown as it is
        ("", "FR", ""),
    ],
)
def test_a_phone_is_shown_as_the_recruiter_dials_it(stored, country, shown):
    assert contact.display_phone(stored, country) == shown


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://www.linkedin.com/in/marie-dupont", "https://www.linkedin.com/in/marie-dupont"),
        ("linkedin.com/in/marie-dupont/", "https://www.linkedin.com/in/marie-dupont"),
        ("http://fr.linkedin.com/in/Marie-Dupont/?originalSubdomain=fr",
         "https://www.linkedin.com/in/marie-dupont"),
        ("https://www.linkedin.com/in/marie-dupont-12a3b4/en/",
         "https://www.linkedin.com/in/marie-dupont-12a3b4"),
        ("https://m.linkedin.com/in/marie-dupont#about", "https://www.linkedin.com/in/marie-dupont"),
        ("https://www.linkedin.com/in/j%C3%A9r%C3%B4me-martin",
         "https://www.linkedin.com/in/j%C3%A9r%C3%B4me-martin"),
        ("https://www.linkedin.com/in/Jérôme-Martin", "https://www.linkedin.com/in/j%C3%A9r%C3%B4me-martin"),
        ("  ", ""),
    ],
)  # fmt: skip
def test_a_linkedin_profile_is_stored_one_way(typed, stored):
    assert contact.normalise_linkedin(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "https://www.linkedin.com/company/acme",
        "https://www.linkedin.com/pub/marie-dupont/1/2/3",
        "https://www.linkedin.com/in/",
        "https://linkedin.com.evil.example/in/marie",
        "https://www.example.com/in/marie-dupont",
        "ftp://www.linkedin.com/in/marie-dupont",
        "marie-dupont",
    ],
)
def test_what_is_not_a_linkedin_profile_is_refused(typed):
    with translation.override("en"), pytest.raises(contact.ContactProblem) as refused:
        contact.normalise_linkedin(typed)
    assert "https://www.linkedin.com/in/marie-dupont" in str(refused.value)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Marie.Dupont@Example.COM", "Marie.Dupont@example.com"),
        ("  marie@exemple.fr ", "marie@exemple.fr"),
        ("", ""),
    ],
)
def test_an_email_gets_its_domain_in_lower_case(typed, stored):
    assert contact.normalise_email(typed) == stored


@pytest.mark.parametrize("typed", ["marie", "marie@", "@example.com", "marie dupont@example.com"])
def test_what_is_not_an_email_is_refused(typed):
    with translation.override("en"), pytest.raises(contact.ContactProblem) as refused:
        contact.normalise_email(typed)
    assert "is not an e-mail address" in str(refused.value)
