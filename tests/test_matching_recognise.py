"""Skills and job titles recognised in free text (matching/recognise.py): the same concepts
in French and English, acronyms, word boundaries, ordinary words that are tech words only in
a tech context, and a skill listed apart from a skill shown in use."""

from __future__ import annotations

import pytest

from relance.matching import recognise


def concepts(written: str) -> set[str]:
    return {mention.concept for mention in recognise.mentions(written)}


@pytest.mark.parametrize(
    ("french", "english"),
    [
        ("Développeur Java", "Java developer"),
        ("Développeuse Java", "Java developers"),
        ("gestion de projet", "project management"),
        ("Gestion des projets", "Project Management"),
        ("chef de projet", "project manager"),
        ("ingénieur DevOps", "DevOps engineer"),
        ("Développeur web", "web developer"),
        ("Comptable", "Accountant"),  # from ESCO, both languages
        ("Intégration continue", "continuous integration"),
    ],
)
def test_french_and_english_give_the_same_concepts(french, english):
    assert concepts(french) == concepts(english) != set()


def test_java_developer_is_a_skill_and_a_title():
    assert concepts("Développeur Java") == {"tech:developer", "tech:java"}
    assert concepts("gestion de projet") == {"tech:project-management"}


@pytest.mark.parametrize(
    ("written", "concept"),
    [
        ("k8s", "tech:kubernetes"),
        ("Kubernetes", "tech:kubernetes"),
        ("CI/CD", "tech:cicd"),
        ("GCP", "tech:gcp"),
        ("Postgres", "tech:postgresql"),
        ("C#", "tech:csharp"),
        ("C++", "tech:cpp"),
        (".NET Core", "tech:dotnet"),
        ("Node.js", "tech:nodejs"),
        ("golang", "tech:go"),
    ],
)
def test_acronyms_and_written_forms(written, concept):
    assert concepts(written) == {concept}


def test_word_boundaries_hold():
    assert concepts("JavaScript") == {"tech:javascript"}
    assert "tech:java" not in concepts("JavaScript et TypeScript")
    assert concepts("Java et JavaScript") == {"tech:java", "tech:javascript"}
    assert "tech:cpp" not in concepts("C, Java")
    assert "tech:c" not in concepts("C++, Java")


def test_ordinary_words_are_tech_words_only_in_a_tech_context():
    assert concepts("I go to the office every day") == set()
    assert concepts("Spring is my favourite season") == set()
    assert concepts("point de vue, à mon avis") == set()
    assert concepts("Microservices en Go et Kafka") == {
        "tech:microservices",
        "tech:go",
        "tech:kafka",
    }
    assert concepts("Go, Rust") == {"tech:go", "tech:rust"}  # a list of skills
    assert concepts("Vue.js et Spring Boot") == {"tech:vue", "tech:spring-boot"}
    # "c'est", "j'ai": French words, not the C language nor AI
    assert concepts("C'est en Java que j'ai travaillé") == {"tech:java"}
    assert concepts("AI et Python") == {"tech:ai", "tech:python"}


def test_a_listed_skill_and_a_used_one():
    cv = "Compétences : Java, Spring, Kafka\nDéveloppé des microservices Spring Boot en Java"
    found = recognise.mentions(cv)
    assert [(m.concept, m.line, m.listed) for m in found] == [
        ("tech:java", 0, True),
        ("tech:spring", 0, True),
        ("tech:kafka", 0, True),
        ("tech:microservices", 1, False),
        ("tech:spring-boot", 1, False),
        ("tech:java", 1, False),
    ]
    assert found[0].text == "Compétences : Java, Spring, Kafka"
    best = recognise.evidence(cv)
    assert best["tech:java"].line == 1
    assert not best["tech:java"].listed
    assert best["tech:kafka"].listed
    assert set(best) == {
        "tech:java",
        "tech:spring",
        "tech:kafka",
        "tech:microservices",
        "tech:spring-boot",
    }


@pytest.mark.parametrize(
    "line",
    [
        "Skills: Python, Django, PostgreSQL",
        "Environnement technique : Java 17, Spring Boot, Docker",
        "Java, Spring, Kafka et Docker",
        "Python | Django | AWS",
    ],
)
def test_lists_of_terms_are_listed(line):
    assert all(m.listed for m in recognise.mentions(line))


@pytest.mark.parametrize(
    "line",
    [
        "- Migrated the billing service to Kubernetes on AWS",
        "Conception d'une API REST en Python avec Django",
        "Encadrement d'une équipe de 4 développeurs en Scrum",
    ],
)
def test_sentences_show_use(line):
    found = recognise.mentions(line)
    assert found
    assert not any(m.listed for m in found)


def test_a_mention_keeps_its_line_short_and_stripped():
    line = "  Java " + "x " * 300
    (mention,) = recognise.mentions("\n\n" + line)
    assert mention.line == 2
    assert mention.text == line.strip()[:200]
    assert len(mention.text) == 200


def test_lines_under_a_skills_heading_are_listed_until_the_next_section():
    cv = (
        "## Skills\n"
        "1. Project Management\n"
        "2. Good command of VMware\n"
        "\n"
        "## Experience\n"
        "1. Led the project management office, moving to Kubernetes (2019 - 2023)\n"
        "COMPÉTENCES TECHNIQUES\n"
        "Java\n"
        "Expérience professionnelle\n"
        "Java\n"
    )
    found = [(m.concept, m.line, m.listed) for m in recognise.mentions(cv)]
    assert found == [
        ("tech:project-management", 1, True),
        ("tech:virtualization", 2, True),
        ("tech:project-management", 5, False),
        ("tech:kubernetes", 5, False),
        ("tech:java", 7, True),
        ("tech:java", 9, True),  # a lone term is a list whatever its section
    ]


def test_short_words_inside_tech_names_are_kept_and_alone_they_need_capitals():
    assert concepts("IT security and C language, CI/CD") == {"tech:security", "tech:c", "tech:cicd"}
    assert concepts("It was a good language to learn, it is") == set()
    assert concepts("Langage C") == {"tech:c"}


def test_everyday_words_of_esco_name_nothing():
    # ESCO's one-word alternative labels and everyday words ("control", "general", "video")
    assert concepts("General control of the video machine line") == set()


def test_a_french_offer_and_its_english_translation_name_the_same_concepts():
    french = (
        "Nous recherchons un développeur Java senior pour rejoindre notre équipe à Lyon.\n"
        "Missions : concevoir et développer des microservices Spring Boot, participer aux "
        "revues de code, mettre en place l'intégration continue (GitLab CI) et le déploiement "
        "sur Kubernetes.\n"
        "Profil : 5 ans d'expérience minimum en Java, maîtrise de Spring et de PostgreSQL, "
        "Kafka apprécié. Méthodes agiles (Scrum).\n"
        "Vous travaillerez avec le chef de projet dans un environnement stimulant."
    )
    english = (
        "We are looking for a senior Java developer to join our team in London.\n"
        "Responsibilities: design and build Spring Boot microservices, take part in code "
        "reviews, set up continuous integration (GitLab CI) and deployment on Kubernetes.\n"
        "Profile: at least 5 years of experience in Java, strong Spring and PostgreSQL, Kafka "
        "a plus. Agile methods (Scrum).\n"
        "You will work with the project manager in a stimulating environment."
    )
    assert concepts(french) == concepts(english)
    assert {"tech:java", "tech:spring-boot", "tech:kubernetes", "tech:project-manager"} <= concepts(
        french
    )
