"""The candidates' search key: their names and e-mail folded (lower case, accents removed),
so that "elodie" finds Élodie and "lefevre" finds Lefèvre on every database.

SQLite folds the case of ASCII letters only and never removes accents; PostgreSQL's LIKE
folds neither. Both sides are folded here, in Python, the same way: the database then
compares plain strings. The key is kept on the candidate's row (`Candidate.search_key`),
written whenever a name or the e-mail changes, whatever the door (people/models.py).
"""

from __future__ import annotations

import unicodedata

# Letters that Unicode does not decompose into a base letter and an accent.
_LIGATURES = str.maketrans(
    {"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)


def fold(text: str) -> str:
    """'  Élodie LEFÈVRE ' -> 'elodie lefevre': lower case, no accents, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.translate(_LIGATURES).split())


def key(first_name: str, last_name: str, email: str) -> str:
    """The search key of a candidate: last name, first name and e-mail, folded, one space
    between words. A search word matches the start of the key or of any word in it."""
    return " ".join(part for part in (fold(last_name), fold(first_name), fold(email)) if part)
