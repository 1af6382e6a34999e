"""Which column of a file holds what: names read in French and English, whatever their
case, accents, punctuation or spacing ("E-mail", "Adresse e-mail", "Email Address" are all
the e-mail), and the known layouts recognised from their header.

A field is given to the first column that names it; a later column naming it again is
ignored (shown so on the page: LinkedIn Recruiter's "Headline" before "Current Title").
The mapping found is a suggestion: the page and `--map COLUMN=field` change it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from django.utils.translation import gettext_lazy

IGNORED = ""

# The fields a column can fill, with their name for a reader.
FIELDS = {
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "full_name": gettext_lazy("Full name (first and last)"),
    "email": gettext_lazy("E-mail"),
    "phone": gettext_lazy("Phone"),
    "linkedin_url": gettext_lazy("LinkedIn profile"),
    "company": gettext_lazy("Company"),
    "position": gettext_lazy("Current title"),
    "location": gettext_lazy("Location"),
    "country": gettext_lazy("Country"),
    "language": gettext_lazy("Language"),
    "tags": gettext_lazy("Tags"),
    "skills": gettext_lazy("Skills"),
    "source": gettext_lazy("Source"),
    "stage": gettext_lazy("Stage"),
    "job": gettext_lazy("Job"),
    "date": gettext_lazy("Date (applied, connected)"),
    "external_ref": gettext_lazy("Identifier in the other tool"),
    "cv_text": gettext_lazy("CV text"),
}

# Column names, folded (see `fold`), per field: English, then French.
NAMES: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "firstname", "given name", "forename", "prenom"),
    "last_name": ("last name", "lastname", "surname", "family name", "nom", "nom de famille"),
    "full_name": (
        "name",
        "full name",
        "candidate",
        "candidate name",
        "nom complet",
        "candidat",
        "nom prenom",
        "prenom nom",
        "nom et prenom",
    ),
    "email": (
        "email",
        "e mail",
        "email address",
        "e mail address",
        "mail",
        "work email",
        "personal email",
        "contact email",
        "contact e mail",
        "courriel",
        "adresse email",
        "adresse e mail",
        "adresse mail",
        "mel",
    ),
    "phone": (
        "phone",
        "phone number",
        "mobile",
        "mobile phone",
        "cell",
        "telephone",
        "contact phone",
        "contact telephone",
        "tel",
        "portable",
        "numero de telephone",
        "telephone portable",
    ),
    "linkedin_url": (
        "url",
        "linkedin",
        "linkedin url",
        "linkedin profile",
        "profile url",
        "public profile url",
        "linkedin profile url",
        "profil linkedin",
        "url linkedin",
        "lien linkedin",
        "url du profil",
    ),
    "company": (
        "company",
        "current company",
        "employer",
        "organization",
        "organisation",
        "entreprise",
        "societe",
        "employeur",
        "entreprise actuelle",
    ),
    "position": (
        "position",
        "title",
        "job title",
        "current title",
        "headline",
        "current position",
        "poste",
        "poste actuel",
        "intitule de poste",
        "fonction",
        "titre",
    ),
    "location": ("location", "city", "ville", "localisation", "lieu"),
    "country": ("country", "pays"),
    "language": ("language", "langue"),
    "tags": ("tags", "tag", "labels", "etiquettes", "etiquette", "mots cles"),
    "skills": ("skills", "competences"),
    "source": ("source", "origine", "provenance"),
    "stage": (
        "stage",
        "status",
        "pipeline stage",
        "application status",
        "etape",
        "statut",
        "etape du processus",
    ),
    "job": (
        "job",
        "job opening",
        "opening",
        "requisition",
        "active project",
        "project",
        "offre",
        "offre d emploi",
        "poste a pourvoir",
        "annonce",
        "projet",
    ),
    "date": (
        "date",
        "connected on",
        "applied on",
        "application date",
        "date applied",
        "added on",
        "created",
        "created on",
        "date de candidature",
        "date d ajout",
        "candidature le",
        "connecte le",
    ),
    "external_ref": (
        "id",
        "candidate id",
        "external id",
        "ref",
        "reference",
        "identifiant",
        "id candidat",
    ),
    "cv_text": (
        "cv text",
        "cv",
        "resume text",
        "curriculum vitae",
        "texte du cv",
        "texte cv",
        "cv texte",
        "contenu du cv",
    ),
}  # fmt: skip
_BY_NAME = {name: f for f, names in NAMES.items() for name in names}

# Known layouts: their name, what their header holds (folded), the source they imply.
LAYOUTS = (
    ("linkedin_connections",
     {"first name", "last name", "url", "email address", "company", "position", "connected on"},
     "linkedin"),
    ("linkedin_recruiter", {"first name", "last name", "profile url"}, "linkedin"),
    ("linkedin_recruiter", {"first name", "last name", "public profile url"}, "linkedin"),
)  # fmt: skip
LAYOUT_NAMES = {
    "linkedin_connections": gettext_lazy("LinkedIn connections export"),
    "linkedin_recruiter": gettext_lazy("LinkedIn Recruiter project export"),
    "generic": gettext_lazy("Spreadsheet or ATS export"),
}


def fold(name: str) -> str:
    """A column name compared: lower case, no accents, words of letters and digits."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


def field_for(name: str) -> str | None:
    return _BY_NAME.get(fold(name))


def known_count(header: Iterable[str]) -> int:
    """How many cells of a line are known column names (to find the header)."""
    return sum(1 for cell in header if len(cell) < 80 and field_for(cell) is not None)


def layout(header: Sequence[str]) -> tuple[str, str]:
    """The layout recognised, and the source it implies ("" when none)."""
    names = {fold(h) for h in header}
    for name, needs, source in LAYOUTS:
        if needs <= names:
            return name, source
    return "generic", ""


def suggest(header: Sequence[str]) -> list[str]:
    """The field of each column ("" when ignored), the first column naming a field taking
    it."""
    taken: set[str] = set()
    out: list[str] = []
    for name in header:
        f = field_for(name)
        if f is None or f in taken:
            out.append(IGNORED)
        else:
            taken.add(f)
            out.append(f)
    return out


def apply_overrides(
    header: Sequence[str], fields: list[str], overrides: Mapping[str, str]
) -> list[str]:
    """The mapping with columns changed by hand: `overrides` maps a column (its name, or
    its number from 1) to a field, or to "" / "-" to ignore it. A field given by hand is
    taken from any other column that had it. Raises ValueError naming what is unknown."""
    fields = list(fields)
    for column, target in overrides.items():
        target = "" if target in ("", "-", "ignore", "ignorer") else target
        if target and target not in FIELDS:
            raise ValueError(column, target)
        index = _column_index(header, column)
        if index is None:
            raise LookupError(column)
        if target:
            fields = [IGNORED if f == target else f for f in fields]
        fields[index] = target
    return fields


def _column_index(header: Sequence[str], column: str) -> int | None:
    if column.isdigit() and 1 <= int(column) <= len(header):
        return int(column) - 1
    folded = fold(column)
    for index, name in enumerate(header):
        if name == column or fold(name) == folded:
            return index
    return None
