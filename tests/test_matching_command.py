"""`relance match`: the stable JSON interface (`--text FILE --limit N --json`), a job named
by its number or title, `--rebuild`, who may be sent the job (the campaign exclusions),
another organisation's CVs never shown, and bad input refused without a traceback."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from relance.cli import main
from relance.intake.models import CV
from relance.matching import index
from relance.people.models import Candidate, Consent, Job, Organisation

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

OFFER = (
    "Développeur Java (H/F)\n"
    "Java et Spring requis, Kafka est un plus.\n"
    "Vous développerez nos services de paiement.\n"
)
JAVA_CV = (
    "Développeur Java\n2018 - 2025 : conçu des services de paiement en Java avec Spring et Kafka.\n"
)
SPRING_ONLY_CV = "Développeur\n2020 - 2025 : applications Spring Boot pour une banque.\n"
SALES_CV = "Commercial terrain, prospection et négociation.\n"


@pytest.fixture(autouse=True)
def matching_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MATCHING_INDEX_DIR = str(tmp_path / "matching")
    index._cache.clear()
    yield
    index._cache.clear()


@pytest.fixture
def org(db):  # type: ignore[no-untyped-def]
    return Organisation.objects.create(name="Agence", slug="agence")


def person(org, first, email, cv_text, *, consent=True, **fields):  # type: ignore[no-untyped-def]
    candidate = Candidate.objects.create(
        organisation=org, first_name=first, email=email, created_at=T0, **fields
    )
    CV.objects.create(
        organisation=org, candidate=candidate, file="cvs/x.txt", original_name="cv.txt",
        kind="txt", size=1, sha256="0" * 64, text=cv_text, uploaded_at=T0,
    )  # fmt: skip
    if consent:
        Consent.objects.create(
            organisation=org, candidate=candidate, purpose="job_alerts", given_at=T0
        )
    return candidate


def lines(out: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_match_text_json_prints_the_stable_interface(org, tmp_path, capsys):  # type: ignore[no-untyped-def]
    lea = person(org, "Léa", "lea@example.org", JAVA_CV)
    paul = person(org, "Paul", "paul@example.org", SPRING_ONLY_CV, do_not_contact_at=T0)
    person(org, "Sami", "sami@example.org", SALES_CV)
    offer = tmp_path / "offer.txt"
    offer.write_text(OFFER)
    assert main(["match", "--text", str(offer), "--limit", "5", "--json", "--lang", "en"]) == 0
    rows = lines(capsys.readouterr().out)
    assert [row["candidate"] for row in rows] == [lea.id, paul.id]
    first, second = rows
    for key in ("candidate", "email", "score", "matched", "missing", "contactable", "reason"):
        assert key in first
    assert first["email"] == "lea@example.org"
    assert isinstance(first["score"], int)
    assert 0 <= first["score"] <= 100
    assert first["score"] > second["score"]
    assert set(first["matched"]) == {"Java", "Spring", "Kafka"}
    assert first["missing"] == []
    assert first["contactable"] is True
    assert second["contactable"] is False
    assert second["not_contactable_because"] == "do_not_contact"
    assert "Java" in second["missing"]
    assert second["reason"] == "Missing a must-have skill: Java."
    assert {"requirement": "Kafka", "line": JAVA_CV.splitlines()[1]} in first["evidence"]
    # --limit holds, and the same run twice prints the same lines.
    assert main(["match", "--text", str(offer), "--limit", "1", "--json", "--lang", "en"]) == 0
    assert lines(capsys.readouterr().out) == [first]


def test_no_consent_to_job_alerts_means_not_contactable(org, tmp_path, capsys):  # type: ignore[no-untyped-def]
    person(org, "Léa", "lea@example.org", JAVA_CV, consent=False)
    offer = tmp_path / "offer.txt"
    offer.write_text(OFFER)
    assert main(["match", "--text", str(offer), "--json", "--lang", "en"]) == 0
    (row,) = lines(capsys.readouterr().out)
    assert row["contactable"] is False
    assert row["not_contactable_because"] == "no_consent"


def test_a_job_by_number_or_title_in_a_table_in_french(org, capsys):  # type: ignore[no-untyped-def]
    person(org, "Léa", "lea@example.org", JAVA_CV)
    job = Job.objects.create(
        organisation=org, title="Développeur Java", description=OFFER, created_at=T0
    )
    assert main(["match", str(job.id), "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert "Trouvées" in out
    assert "lea@example.org" in out
    assert "oui" in out
    assert main(["match", "développeur java", "--json", "--lang", "fr"]) == 0
    (row,) = lines(capsys.readouterr().out)
    assert row["reason"].startswith("Montre 3 des 3 compétences")


def test_rebuild_builds_the_index_from_the_database(org, capsys):  # type: ignore[no-untyped-def]
    person(org, "Léa", "lea@example.org", JAVA_CV)
    person(org, "Paul", "paul@example.org", SALES_CV)
    assert main(["match", "--rebuild", "--lang", "en"]) == 0
    assert "Index rebuilt: 2 CVs of agence." in capsys.readouterr().out


def test_another_organisations_cvs_never_appear(org, tmp_path, capsys):  # type: ignore[no-untyped-def]
    other = Organisation.objects.create(name="Autre", slug="autre")
    person(other, "Léa", "lea@autre.example", JAVA_CV)
    ours = person(org, "Paul", "paul@example.org", SPRING_ONLY_CV)
    offer = tmp_path / "offer.txt"
    offer.write_text(OFFER)
    assert main(["match", "--org", "agence", "--text", str(offer), "--json"]) == 0
    assert [row["candidate"] for row in lines(capsys.readouterr().out)] == [ours.id]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ([], "Name a job (its number, title or reference), --text FILE or --rebuild"),
        (["Pilote"], "'Pilote': no job of agence"),
        (["999"], "'999': no job of agence"),
        (["--text", "missing.txt"], "missing.txt"),
        (["--text", "BINARY"], "the file is not UTF-8 text (byte 0)"),
        (["--text", "EMPTY"], "the file is empty"),
        (["Dev", "--text", "EMPTY"], "A job or --text FILE, not both"),
        (["Dev", "--limit", "0"], "--limit"),
    ],
)
def test_bad_input_is_refused_without_a_traceback(org, tmp_path, capsys, args, said):  # type: ignore[no-untyped-def]
    (tmp_path / "binary.bin").write_bytes(b"\xff\xfe\x00java")
    (tmp_path / "empty.txt").write_text("  \n")
    paths = {"BINARY": str(tmp_path / "binary.bin"), "EMPTY": str(tmp_path / "empty.txt")}
    args = [paths.get(arg, arg) for arg in args]
    assert main(["match", *args, "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert said in err
    assert "Traceback" not in err
