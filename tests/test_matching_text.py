"""The words matching works on (matching/text.py): folded the same way in both languages,
stemmed to one stem whatever the language, and a CV's protected information removed before
anything is indexed or scored."""

from __future__ import annotations

import pytest

from relance.matching import text

CV = """Élodie Lefèvre
elodie.lefevre@example.com | +33 6 12 34 56 78 | https://www.linkedin.com/in/elodie-lefevre
12 rue des Lilas, 75011 Paris
Née le 12/03/1990 | Nationalité : française | Mariée, 2 enfants
Sexe : F
Photo
Développeuse Java, 34 ans, disponible
10 ans d'expérience en Java
Compétences : Java, Spring, Kafka
2018 - 2020 : Développé des microservices Spring Boot
Date of birth: 1990-03-12 | Nationality: French | Gender: female
Tel. (212) 555-0123
221B Baker Street, London NW1 6XE
Marital status: married | Python, Django
"""


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Développeur  C++/Node.js, Spring-Boot.", "developpeur c++ node.js spring boot"),
        ("C#, .NET et ASP.NET Core", "c# .net et asp.net core"),
        ("l'équipe Œuvre — ÉTÉ", "l equipe oeuvre ete"),
        ("Java. Python!", "java python"),
    ],
)
def test_fold_keeps_tech_words_whole(written, folded):
    assert text.fold(written) == folded


def test_words_drops_french_and_english_stop_words():
    assert text.words("Je suis développeur Java et j'aime les équipes") == [
        "suis",
        "developpeur",
        "java",
        "aime",
        "equipes",
    ]
    assert text.words("I am a developer of the web") == ["developer", "web"]


def test_a_word_and_its_plural_get_one_stem_in_both_languages():
    assert text.stems("développeurs") == text.stems("développeur")
    assert text.stems("developers") == text.stems("developer")
    assert text.stems("projets") == text.stems("projet")
    assert text.stems("engineers") == text.stems("engineer")
    # tech words are not stemmed
    assert text.stems("C++ Node.js web3") == ["c++", "node.js", "web3"]


def test_without_personal_removes_what_is_protected_and_keeps_the_skills():
    cleaned = text.without_personal(CV)
    folded = text.fold(cleaned)
    for gone in [
        "example",
        "linkedin",
        "33",
        "6 12 34",
        "lilas",
        "75011",
        "paris",
        "1990",
        "nationalite",
        "francaise",
        "french",
        "mariee",
        "married",
        "enfants",
        "sexe",
        "gender",
        "female",
        "photo",
        "34 ans",
        "555",
        "baker",
        "nw1",
    ]:
        assert gone not in folded, gone
    for kept in [
        "developpeuse java",
        "disponible",
        "10 ans d experience en java",
        "competences java spring kafka",
        "2018 2020 developpe des microservices spring boot",
        "python django",
    ]:
        assert kept in folded, kept
    # line numbers are kept: line 9 is still the skills line
    assert cleaned.splitlines()[8] == "Compétences : Java, Spring, Kafka"
    assert len(cleaned.splitlines()) == len(CV.splitlines())


def test_years_of_experience_are_not_an_age():
    assert (
        text.without_personal("5 ans en Java, 3 ans chez Thales")
        == "5 ans en Java, 3 ans chez Thales"
    )
    assert text.without_personal("Développeur, 28 ans") == "Développeur"
    assert text.without_personal("Engineer, 28 years old") == "Engineer"


def test_without_names_removes_the_names_whatever_their_accents():
    assert text.without_names("ÉLODIE Lefevre\nJava, elodie lefèvre", ["Élodie", "Lefèvre"]) == (
        "\nJava,"
    )
    assert text.without_names("Java", []) == "Java"


@pytest.mark.parametrize(
    "address",
    [
        "75011 Paris",
        "69003 LYON CEDEX 03",
        "12 bis, Avenue Foch",
        "221B Baker Street",
        "London NW1 6XE",
        "New York, NY 10001",
    ],
)
def test_an_address_line_is_removed(address):
    assert text.without_personal(f"Java\n{address}\nPython") == "Java\n\nPython"


@pytest.mark.parametrize(
    "line",
    ["Served 10000 users with Java", "Donné 4 cours de Java", "Won 2 places in a hackathon"],
)
def test_numbers_in_a_sentence_are_not_an_address(line):
    assert text.without_personal(line) == line
