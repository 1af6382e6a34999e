"""Reading a file of people (imports/reader.py, imports/mapping.py): type by content,
encoding, separator and header found, a preamble skipped, XLSX with a multi-row header,
columns mapped from their French or English names, known layouts recognised, and every
bad file refused with what, where and what was expected, in the reader's language."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import override_settings
from django.utils import translation

from relance.imports import mapping, reader
from relance.imports.reader import ImportProblem
from tests import importfiles

LINKEDIN_ROWS = [
    ["Marie", "Dupont", "https://www.linkedin.com/in/marie-dupont", "", "Acme", "Dev", "12 Jan 2024"],
    ["Jean", "Martin", "https://www.linkedin.com/in/jean-martin", "jean@example.org", "Globex",
     "CTO, Paris", "03 Feb 2023"],
]  # fmt: skip


def test_a_linkedin_connections_export_skips_its_notes_and_keeps_empty_emails():
    table = reader.read(importfiles.linkedin_connections(LINKEDIN_ROWS), "Connections.csv")
    assert table.kind == "csv"
    assert table.header[0] == "First Name"
    assert table.header_line == 4  # after "Notes:", its long quoted paragraph and a blank line
    assert [r.cells for r in table.rows] == LINKEDIN_ROWS
    assert table.rows[0].number == 5
    assert mapping.layout(table.header) == ("linkedin_connections", "linkedin")
    assert mapping.suggest(table.header) == [
        "first_name", "last_name", "linkedin_url", "email", "company", "position", "date",
    ]  # fmt: skip


def test_a_french_excel_csv_with_semicolons_in_windows_1252_is_read():
    data = importfiles.csv_file(
        ["Prénom", "Nom", "Adresse e-mail", "Téléphone", "Étape"],
        [["Élodie", "Lefèvre", "elodie@example.org", "06 12 34 56 78", "Entretien"],
         ["François", "Noël", "", "01 23 45 67 89", ""]],
        separator=";", encoding="cp1252",
    )  # fmt: skip
    table = reader.read(data, "export.csv")
    assert (table.encoding, table.separator) == ("windows-1252", ";")
    assert table.rows[0].cells[:2] == ["Élodie", "Lefèvre"]
    assert table.rows[1].cells[1] == "Noël"
    assert mapping.suggest(table.header) == ["first_name", "last_name", "email", "phone", "stage"]


@pytest.mark.parametrize(
    ("encoding", "separator", "expected"),
    [("utf-8-sig", ",", "utf-8-sig"), ("utf-8", "\t", "utf-8"), ("utf-16", "\t", "utf-16")],
)
def test_utf8_with_or_without_bom_and_utf16_and_tabs_are_read(encoding, separator, expected):
    data = importfiles.csv_file(["Email", "First name"], [["zoé@example.org", "Zoé"]],
                                separator=separator, encoding=encoding)  # fmt: skip
    table = reader.read(data, "x.csv")
    assert (table.encoding, table.separator) == (expected, separator)
    assert table.header == ["Email", "First name"]
    assert table.rows[0].cells == ["zoé@example.org", "Zoé"]


def test_an_xlsx_with_a_merged_multi_row_header_is_read():
    rows = [
        ["Export ATS — 2024"],
        ["Candidat", None, "Contact", None, "Statut"],
        ["Prénom", "Nom", "E-mail", "Téléphone", None],
        ["Léa", "Moreau", "lea@example.org", 33612345678, "Offre"],
        [None, None, None, None, None],
        ["=cmd|' /C calc'!A0", "Injection", "x@example.org", None, None],
    ]
    data = importfiles.xlsx_file(rows, merges=["A1:E1", "A2:B2", "C2:D2", "E2:E3"])
    table = reader.read(data, "ats.xlsx")
    assert table.kind == "xlsx"
    assert table.header_line == 3
    # "Statut" merged over two rows keeps its value in the top cell: filled from above.
    assert table.header == ["Prénom", "Nom", "E-mail", "Téléphone", "Statut"]
    assert mapping.suggest(table.header) == ["first_name", "last_name", "email", "phone", "stage"]
    assert table.rows[0].cells == ["Léa", "Moreau", "lea@example.org", "33612345678", "Offre"]
    assert table.rows[0].number == 4
    # A formula is its text, never evaluated; the blank row is skipped.
    assert table.rows[1].cells[0] == "=cmd|' /C calc'!A0"
    assert table.rows[1].number == 6


def test_a_group_label_above_a_column_makes_its_name_known():
    header = mapping.fold("Contact E-mail")
    assert mapping.field_for(header) == "email"
    data = importfiles.xlsx_file([["Name", "Contact", None], ["", "E-mail", "Mobile"],
                                  ["Ana Lima", "ana@example.org", "+33612345678"]],
                                 merges=["A1:A2", "B1:C1"])  # fmt: skip
    table = reader.read(data, "x.xlsx")
    assert table.header == ["Name", "E-mail", "Mobile"]
    assert mapping.suggest(table.header) == ["full_name", "email", "phone"]


def test_layouts_are_recognised():
    recruiter = ["First Name", "Last Name", "Headline", "Location", "Current Title",
                 "Current Company", "Email Address", "Phone Number", "Profile URL", "Notes"]  # fmt: skip
    assert mapping.layout(recruiter) == ("linkedin_recruiter", "linkedin")
    assert mapping.suggest(recruiter) == [
        "first_name", "last_name", "position", "location", "", "company", "email", "phone",
        "linkedin_url", "",
    ]  # fmt: skip
    assert mapping.layout(["Nom", "Email"]) == ("generic", "")


def test_the_mapping_is_changed_by_hand():
    header = ["Nom", "Courriel", "Notes"]
    fields = mapping.suggest(header)
    assert fields == ["last_name", "email", ""]
    changed = mapping.apply_overrides(header, fields, {"Nom": "full_name", "3": "tags"})
    assert changed == ["full_name", "email", "tags"]
    moved = mapping.apply_overrides(header, changed, {"notes": "email"})
    assert moved == ["full_name", "", "email"]
    with pytest.raises(ValueError, match="salary"):
        mapping.apply_overrides(header, fields, {"Nom": "salary"})
    with pytest.raises(LookupError):
        mapping.apply_overrides(header, fields, {"Age": "tags"})


def message(data: bytes, name: str, language: str = "en") -> str:
    with translation.override(language), pytest.raises(ImportProblem) as refused:
        reader.read(data, name)
    return str(refused.value)


def test_a_file_that_is_not_what_it_claims_is_refused():
    assert "named like a spreadsheet but is not one" in message(b"Name,Email\nA,a@b.c\n", "a.xlsx")
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00\x00"
    assert "not text" in message(pdf, "people.csv")
    assert ".xls" in message(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old.xls")
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    assert "not an Excel workbook" in message(docx.getvalue(), "people.xlsx")
    # The refusal is in the reader's language.
    assert "n'en est pas un" in message(b"Name,Email\n", "a.xlsx", "fr")


@override_settings(RELANCE_IMPORT_MAX_BYTES=1024 * 1024)
def test_a_file_over_the_limit_is_refused_with_its_size():
    said = message(b"Email\n" + b"a@example.org\n" * 100_000, "big.csv")
    assert "1.3 MB" in said
    assert "at most 1 MB" in said


def test_a_row_with_ten_thousand_columns_is_refused_naming_the_row():
    data = b"First name,Email\nAna,ana@example.org\n" + b",".join([b"x"] * 10_000) + b"\n"
    said = message(data, "wide.csv")
    assert "Line 3 has 10000 columns" in said
    wide = importfiles.xlsx_file([["First name", "Email"], ["x"] * 10_000])
    assert "Line 2 has 10000 columns" in message(wide, "wide.xlsx")


def test_an_xlsx_with_xml_entities_or_a_zip_bomb_is_refused():
    good = importfiles.xlsx_file([["Email"], ["a@example.org"]])
    source = zipfile.ZipFile(io.BytesIO(good))

    def rewritten(part: str, content: bytes) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for info in source.infolist():
                z.writestr(info.filename, content if info.filename == part else source.read(info))
        return out.getvalue()

    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><sst>&lol2;</sst>')  # fmt: skip
    assert "XML entities" in message(rewritten("xl/workbook.xml", laughs), "x.xlsx")
    bomb = rewritten("xl/worksheets/sheet1.xml", b"<a>" + b" " * 20_000_000 + b"</a>")
    assert "zip bomb" in message(bomb, "x.xlsx")


def test_an_empty_file_says_what_was_expected():
    assert "expected a header line" in message(b"", "empty.csv")
