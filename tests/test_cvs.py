"""CVs: the type read from the content, the text extracted within bounds (real PDF, DOCX,
ODT and text files made here, two columns included, and broken ones), the upload and the
download on the candidate page, the list's filter, and the person's rights (export,
erasure, anonymisation: the files leave storage too)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from relance.intake import cvs, documents
from relance.intake.models import CV
from relance.people import rights
from relance.people.models import AuditEntry, Candidate
from tests import cvfiles
from tests.web_world import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    """Each test's files in a folder of its own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(tmp_path / "files")}},
    }  # fmt: skip
    return tmp_path / "files"


def reading(data: bytes) -> cvs.Reading:
    return cvs.read(data, cvs.detect(data))


# --- the type, by content ----------------------------------------------------------------


def test_the_type_is_read_from_the_content_never_from_the_name():
    assert cvs.detect(cvfiles.one_column_pdf(["Jeanne"])) == "pdf"
    assert cvs.detect(cvfiles.docx(["Jeanne"])) == "docx"
    assert cvs.detect(cvfiles.odt(["Jeanne"])) == "odt"
    assert cvs.detect("Jeanne Martin, développeuse".encode()) == "txt"
    for data, code in (
        (cvfiles.png(), "not_text"),  # an image, whatever it is called
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old_word"),
        (_zip({"xl/workbook.xml": "<workbook/>", "[Content_Types].xml": "<Types/>"}), "other_zip"),
        (b"PK\x03\x04 not really a zip", "not_text"),
    ):
        with pytest.raises(cvs.Refused) as refused:
            cvs.detect(data)
        assert refused.value.code == code


def test_a_refusal_says_what_was_expected_in_the_reader_s_language():
    from django.utils import translation

    with translation.override("en"):
        assert "expected a PDF, a Word document (.docx)" in cvs.Refused("not_text").message()
    with translation.override("fr"):
        message = cvs.Refused("too_large", mb=10).message()
    assert "10 Mo" in message
    assert "PDF" in message


# --- the text ----------------------------------------------------------------------------


def test_a_pdf_s_text_is_extracted_with_its_accents():
    read = reading(cvfiles.one_column_pdf(["Jeanne Martin", "Développeuse Java", "Île-de-France"]))
    assert read.text == "Jeanne Martin\nDéveloppeuse Java\nÎle-de-France"
    assert (read.pages, read.problem, read.truncated) == (1, "", False)


def test_a_two_column_pdf_is_read_one_column_after_the_other():
    """Drawn line across line (left, right, left, right…): read as a person reads it, the
    name at the top, then the left column, then the right one."""
    lines = reading(cvfiles.two_column_pdf()).text.split("\n")
    assert lines == ["Jeanne Martin", *cvfiles.LEFT, *cvfiles.RIGHT]


def test_a_one_column_cv_with_its_dates_at_the_right_is_read_line_by_line():
    page = []
    for i, (title, dates) in enumerate(
        [("Développeur Java, Société Alpha, Paris", "2019 – 2021"),
         ("Développeur PHP, Société Beta, Lyon", "2016 – 2019"),
         ("Stagiaire, Société Gamma, Lille", "2015 – 2016")]
    ):  # fmt: skip
        page += [(72, 700 - 40 * i, title), (460, 700 - 40 * i, dates),
                 (72, 686 - 40 * i, "Projets, équipe de six, méthode agile et revues de code")]  # fmt: skip
    text = reading(cvfiles.pdf([page])).text
    assert text.split("\n")[:2] == [
        "Développeur Java, Société Alpha, Paris 2019 – 2021",
        "Projets, équipe de six, méthode agile et revues de code",
    ]


def test_a_word_document_s_paragraphs_and_tables_are_read():
    data = cvfiles.docx(
        ["Jeanne Martin", "Développeuse Java"], [["Java", "5 ans"], ["Kafka", "2 ans"]]
    )
    read = reading(data)
    assert read.kind == "docx"
    assert read.text.split("\n") == [
        "Jeanne Martin",
        "Développeuse Java",
        "Java",
        "5 ans",
        "Kafka",
        "2 ans",
    ]


def test_an_opendocument_text_is_read_with_the_standard_library():
    read = reading(cvfiles.odt(["Jeanne Martin", "Java &amp; Kotlin"]))
    assert read.text.split("\n") == [
        "CV",
        "Jeanne Martin",
        "Java & Kotlin",
        "Deux   espaces\tet un span",
    ]


def test_a_text_file_in_utf_8_or_windows_1252_is_read():
    assert reading("Élodie Lefèvre\r\nDéveloppeuse".encode()).text == "Élodie Lefèvre\nDéveloppeuse"
    assert reading("Élodie Lefèvre — €".encode("cp1252")).text == "Élodie Lefèvre — €"
    assert reading("Élodie".encode("utf-16")).text == "Élodie"


# --- broken ones: kept and flagged, or refused; never a crash --------------------------------


def test_a_scanned_cv_without_text_is_flagged():
    read = reading(cvfiles.pdf([[]]))  # a page with nothing to read (an image, in real life)
    assert (read.problem, read.text, read.pages) == ("no_text", "", 1)


def test_an_encrypted_pdf_is_flagged():
    read = reading(cvfiles.pdf([[(72, 700, "secret")]], encrypt=True))
    assert (read.kind, read.problem, read.text) == ("pdf", "encrypted", "")


def test_a_corrupted_pdf_and_a_corrupted_word_document_are_flagged():
    assert reading(b"%PDF-1.4\n" + b"garbage " * 100).problem == "corrupted"
    broken = _zip({"[Content_Types].xml": "<Types", "word/document.xml": "<w:document"})
    assert reading(broken).problem == "corrupted"


def test_a_word_document_that_is_a_zip_bomb_is_never_expanded():
    data = cvfiles.docx_bomb()
    assert len(data) < 1_000_000
    read = reading(data)
    assert (read.kind, read.problem, read.text) == ("docx", "too_large", "")


def test_an_opendocument_with_entities_is_not_parsed():
    content = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
               '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><d>&b;</d>')  # fmt: skip
    data = _zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": content})
    assert reading(data).problem == "corrupted"


def test_a_pdf_of_2000_pages_gives_its_first_pages_only():
    pages = [[(72, 700, f"Page {n} Java")] for n in range(1, 2001)]
    read = reading(cvfiles.pdf(pages))
    assert (read.pages, read.truncated) == (2000, True)
    assert f"Page {cvs.MAX_PAGES} Java" in read.text
    assert f"Page {cvs.MAX_PAGES + 1} Java" not in read.text


def test_the_text_kept_is_capped(monkeypatch):
    monkeypatch.setattr(cvs, "MAX_CHARS", 50)
    read = reading(("Kafka " * 100).encode())
    assert (len(read.text), read.truncated) == (50, True)


# --- on the candidate page ---------------------------------------------------------------


def upload(client, candidate, data: bytes, name: str, content_type: str = "application/pdf"):
    file = SimpleUploadedFile(name, data, content_type=content_type)
    return client.post(reverse("intake:cv_upload", args=[candidate.pk]), {"cv": file}, follow=True)


def test_a_recruiter_adds_a_cv_reads_its_text_and_downloads_it(client_of, world):
    client = client_of(world.recruiter)
    data = cvfiles.one_column_pdf(["Léa Martin", "Développeuse Kafka"])
    page = upload(client, world.lea, data, "C:\\Users\\lea\\CV Léa.pdf").content.decode()
    assert "CV added." in page
    cv = CV.objects.get(candidate=world.lea)
    assert (cv.original_name, cv.kind, cv.size, cv.uploaded_by) == (
        "CV Léa.pdf",
        "pdf",
        len(data),
        world.recruiter,
    )
    assert cv.file.name.startswith(f"cvs/{world.org.pk}/")
    assert "Léa" not in cv.file.name
    assert default_storage.exists(cv.file.name)
    assert "Développeuse Kafka" in page  # the text, on the page
    response = client.get(reverse("intake:cv_download", args=[world.lea.pk, cv.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == data
    assert AuditEntry.objects.filter(
        candidate_id=world.lea.pk, action="viewed", detail__cv=cv.pk
    ).exists()


def test_an_upload_that_is_not_what_it_claims_is_refused_and_nothing_is_kept(
    client_of, world, storage
):
    client = client_of(world.recruiter)
    page = upload(client, world.lea, cvfiles.png(), "cv.pdf").content.decode()
    assert "CV not added" in page
    assert "expected a PDF" in page
    page = upload(client, world.lea, b"", "cv.pdf").content.decode()
    assert "The file is empty" in page
    assert not CV.objects.exists()
    assert not storage.exists() or not any(p.is_file() for p in storage.rglob("*"))


def test_a_30_mb_file_is_refused_without_being_kept(client_of, world):
    client = client_of(world.recruiter, "fr")
    big = b"%PDF-1.4\n" + b"0" * (30 * 1024 * 1024)
    page = upload(client, world.lea, big, "cv.pdf").content.decode()
    assert "plus de 10 Mo" in page or "larger than 10 MB" in page
    assert not CV.objects.exists()


def test_a_cv_that_cannot_be_read_is_kept_and_flagged_on_the_page(client_of, world):
    client = client_of(world.recruiter)
    page = upload(client, world.lea, cvfiles.pdf([[(72, 700, "x")]], encrypt=True), "cv.pdf")
    body = page.content.decode()
    assert "its text could not be read: protected by a password" in body
    cv = CV.objects.get(candidate=world.lea)
    assert cv.problem == "encrypted"
    assert default_storage.exists(cv.file.name)
    assert 'data-testid="cv-problem"' in body


def test_another_organisation_gets_404_on_a_cv(client_of, world):
    client = client_of(world.recruiter)
    upload(client, world.lea, cvfiles.one_column_pdf(["Léa"]), "cv.pdf")
    cv = CV.objects.get()
    stranger = client_of(world.stranger)
    assert (
        stranger.get(reverse("intake:cv_download", args=[world.lea.pk, cv.pk])).status_code == 404
    )
    # Their own candidate with our CV's id: 404 too.
    other = reverse("intake:cv_download", args=[world.other_candidate.pk, cv.pk])
    assert stranger.get(other).status_code == 404
    file = SimpleUploadedFile("cv.txt", b"Ghost CV", content_type="text/plain")
    response = stranger.post(reverse("intake:cv_upload", args=[world.lea.pk]), {"cv": file})
    assert response.status_code == 404
    assert CV.objects.count() == 1


def test_a_file_written_to_storage_is_removed_when_the_transaction_fails(world, monkeypatch):
    received = documents.receive(SimpleUploadedFile("cv.txt", b"Java, Kafka"))
    names = []

    def failing(*args, **kwargs):
        raise RuntimeError("the database went away")

    def apply_that_fails() -> None:
        with documents.stored(received, world.org.pk) as name, transaction.atomic():
            names.append(name)
            assert default_storage.exists(name)
            documents.record(world.lea, received, name, None, NOW)
            failing()

    with pytest.raises(RuntimeError):
        apply_that_fails()
    assert not default_storage.exists(names[0])
    assert not CV.objects.exists()


def test_the_list_finds_candidates_by_a_word_of_their_cv(world):
    received = documents.receive(
        SimpleUploadedFile("cv.txt", "Expérience : Kafka, Élasticsearch".encode())
    )
    with documents.stored(received, world.org.pk) as name:
        documents.record(world.lea, received, name, None, NOW)
    found = Candidate.objects.of(world.org).filter(documents.text_contains("ELASTICSEARCH kafka"))
    assert list(found) == [world.lea]
    assert (
        not Candidate.objects.of(world.org).filter(documents.text_contains("kafka cobol")).exists()
    )


# --- the person's rights -------------------------------------------------------------------


def stored_cv(world, text: bytes = b"Java, Kafka") -> CV:
    received = documents.receive(SimpleUploadedFile("cv lea.txt", text))
    with documents.stored(received, world.org.pk) as name:
        return documents.record(world.lea, received, name, world.recruiter, NOW)


def test_the_export_holds_the_cv_and_its_text(world):
    cv = stored_cv(world)
    archive = zipfile.ZipFile(io.BytesIO(rights.export(world.lea, world.admin, NOW)))
    content = json.loads(archive.read("candidate.json"))
    assert content["cvs"][0]["text"] == "Java, Kafka"
    assert content["cvs"][0]["original_name"] == "cv lea.txt"
    assert archive.read(content["cvs"][0]["file"]) == b"Java, Kafka"
    assert content["cvs"][0]["file"] == f"cvs/{cv.pk}-cv lea.txt"


def test_erasure_removes_the_cv_and_its_file(world, django_capture_on_commit_callbacks):
    cv = stored_cv(world)
    with django_capture_on_commit_callbacks(execute=True):
        removed = rights.erase(world.lea, world.admin, NOW)
    assert removed["cvs"] == 1
    assert not CV.objects.exists()
    assert not default_storage.exists(cv.file.name)


def test_anonymisation_removes_the_cv_and_its_file(world, django_capture_on_commit_callbacks):
    cv = stored_cv(world)
    with django_capture_on_commit_callbacks(execute=True):
        rights.anonymise(world.lea, NOW)
    assert not CV.objects.exists()
    assert not default_storage.exists(cv.file.name)
    assert Candidate.objects.get(pk=world.lea.pk).anonymised_at == NOW


def _zip(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_the_candidate_list_filters_on_the_cv_s_text(client_of, world):
    stored_cv(world, "Expérience : Kafka Streams".encode())
    client = client_of(world.recruiter)
    page = client.get(reverse("web:candidates") + "?cv=KAFKA").content.decode()
    assert f'/candidates/{world.lea.pk}/"' in page
    assert f'/candidates/{world.paul.pk}/"' not in page
    assert 'name="cv" value="KAFKA"' in page
    none = client.get(reverse("web:candidates") + "?cv=cobol").content.decode()
    assert f'/candidates/{world.lea.pk}/"' not in none
