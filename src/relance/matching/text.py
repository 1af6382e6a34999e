"""The words of a CV or a job offer, the same way for every part of matching.

- `fold`: lower case, accents removed (people.search.fold), every run of other characters
  turned into one space — except `+`, `#` and `.` inside the tech words that need them
  (`c++`, `c#`, `node.js`, `.net`, `asp.net`): "Développeur C++/Node.js" -> "developpeur c++
  node.js".
- `words`: the folded words without French and English stop words.
- `stems`: `words` stemmed for BM25 with both Snowball stemmers (PyStemmer). A CV or an offer
  does not say its language, and many mix both, so each word gets ONE stem whatever the text's
  language: the shorter of its French and English stems (ties: the English one). "developers"
  and "developer" -> "develop"; "développeurs" and "développeur" -> "developpeur"; "engineer"
  and "engineers" -> "engin". Words with a digit or one of `+#.` (c++, node.js, web3) are
  kept whole: a stemmer would only damage them.
- `without_personal`: the protected information of a CV removed before anything is indexed
  or scored (e-mail, phone, URLs, postal address lines, birth date and age, nationality,
  gender and marital status, photo). Lines are kept (emptied when wholly personal), so a line
  number means the same line before and after. `without_names` removes the person's names,
  which only the caller knows.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

from relance.people.search import _LIGATURES

# A word: letters and digits, with `.` between them (node.js, asp.net) or in front (.net),
# and `++`, `+` or `#` after them (c++, c#). Unicode letters count (\w without `_`).
_WORD = re.compile(r"\.?[^\W_]+(?:\.[^\W_]+)*(?:\+\+|\+|#)?")

# French and English stop words, folded (function words only: "java", "data" or "web" never
# appear here).
_STOP_WORDS = """
    a ai aie aient aies ait as au aucun aupres aussi autre autres aux avait avaient avant avec
    avez avons c ca car ce ceci cela celle celles celui ces cet cette chaque chez ci comme
    comment d dans de des deja depuis donc dont du elle elles en encore entre es est et etaient
    etait ete etre eu eux fait faire ils j je jusqu l la le les leur leurs lors lui m ma mais me
    meme mes moi mon n ne ni nos notre nous on ont ou par parmi pas pendant peu peut plus pour
    qu quand que quel quelle quelles quels qui s sa sans se selon ses si son sont sous sur t ta
    te tes toi ton tous tout toute toutes tres tu un une unes uns vers via vos votre vous y
    about above after again against all also am an and any are as at be been before being
    below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself
    yourselves etc ie eg
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

_FRENCH = Stemmer.Stemmer("french")
_ENGLISH = Stemmer.Stemmer("english")


# Combining marks (accents) once a text is decomposed (NFKD).
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def _plain(text: str) -> str:
    """people.search.fold's letters (lower case, accents removed, œ -> oe), without its
    spacing (the word pattern does that), with a regex instead of a loop over characters:
    a CV is folded line by line on every store and every ranking."""
    if text.isascii():
        return text.lower()
    return _MARKS.sub("", unicodedata.normalize("NFKD", text.casefold())).translate(_LIGATURES)


def fold(text: str) -> str:
    """'Développeur  C++/Node.js, Spring-Boot.' -> 'developpeur c++ node.js spring boot'."""
    return " ".join(_WORD.findall(_plain(text)))


def words(text: str) -> list[str]:
    """The folded words of a text, French and English stop words removed."""
    return [word for word in _WORD.findall(_plain(text)) if word not in STOP_WORDS]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """One stem per folded word, whatever the language: the shorter of the French and English
    Snowball stems (the English one on a tie); a word with a digit or `+#.` is kept whole."""
    if not word.isalpha():
        return word
    french: str = _FRENCH.stemWord(word)
    english: str = _ENGLISH.stemWord(word)
    return french if len(french) < len(english) else english


def stems(text: str) -> list[str]:
    """`words` stemmed for BM25 (see `stem`)."""
    return [stem(word) for word in words(text)]


# --- protected information -------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_URL = re.compile(
    r"(?i)\b(?:https?://|www\.)\S+|\b[\w\-]+(?:\.[\w\-]+)*\.(?:com|fr|io|net|org|me)/\S*"
)
# 9 to 15 digits with at most one separator between them (+33 6 12 34 56 78, 06.12.34.56.78,
# (212) 555-0123, +44 20 7946 0958); "2018 - 2020" has 8 digits and a wide separator.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d(?:[ .\-/]?\(?\d\)?){8,14}(?![\w])")
# A postal address: a French postcode followed by a town (75011 Paris, 69003 LYON), a UK
# postcode (SW1A 1AA), a US state and ZIP (NY 10001), or a street with its number.
_ADDRESS = re.compile(
    r"\b\d{5}\s+(?:[A-ZÀ-Ý][\w\-'À-ÿ]+|(?i:cedex))"  # 75011 Paris (not "10000 users")
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b"  # SW1A 1AA
    r"|\b[A-Z]{2}\s\d{5}(?:-\d{4})?\b"  # NY 10001
    r"|\b\d{1,4}(?:\s?(?i:bis|ter))?,?\s+"
    r"(?i:rue|avenue|av\.|boulevard|bd|chemin|allee|allée|impasse|quai)\b"  # 12 rue des Lilas
    r"|\b\d{1,4}[A-Za-z]?,?\s+(?:[A-Z][\w'\-]+\s+){1,3}"
    r"(?:Street|St\.|Road|Rd\.|Avenue|Ave\.|Lane|Drive|Boulevard|Blvd\.)(?!\w)"  # 221B Baker Street
)
# The "label: value" parts of a line that say who the person is rather than what they can do,
# matched on the folded part. A part ends at a separator (| • · ; or a line end).
_PERSONAL_PART = re.compile(
    r"\b(?:nee?s? le|nee?s? en|date de naissance|lieu de naissance|born|birth|date of birth|dob"
    r"|age \d+|nationalite|nationality|citizenship|sexe|gender|situation familiale|etat civil"
    r"|marital status|mariee?|celibataire|divorcee?|pacsee?|married|unmarried|widowed"
    r"|\d+ enfants?|\d+ children|religion|rqth|disability)\b"
    r"|^(?:photo|photograph|picture|photo d identite)$"
)
_SEPARATOR = re.compile(r"(\s*[|•·;]\s*)")
# An age written in a sentence: "32 ans" (not "10 ans d'expérience"), "32 years old", "âge : 32".
_AGE = re.compile(
    r"(?i)\b[âa]ge\s*:?\s*\d{1,3}(?:\s*(?:ans|years))?\b"
    r"|\b\d{2}\s*ans\b(?!\s*(?:d['’]|de\b|en\b|dans\b|chez\b|sur\b|au\b|comme\b))"
    r"|\b\d{2}[\s\-]*years?[\s\-]*old\b"
)


def _personal(part: str) -> bool:
    return bool(_PERSONAL_PART.search(fold(part)))


def _line_without_personal(line: str) -> str:
    if _ADDRESS.search(line):
        return ""
    line = _EMAIL.sub(" ", line)
    line = _URL.sub(" ", line)
    line = _PHONE.sub(" ", line)
    line = _AGE.sub(" ", line)
    pieces = _SEPARATOR.split(line)  # [part, separator, part, separator, ...]
    kept = [
        piece
        for number, piece in enumerate(pieces)
        if number % 2 or not _personal(piece)  # separators are kept, then tidied below
    ]
    kept_line = "".join(kept)
    if not any(ch.isalnum() for ch in kept_line):
        return ""
    kept_line = re.sub(r",(?:\s*,)+", ",", kept_line)
    return re.sub(r"\s{2,}", " ", kept_line).strip(" |•·;,")


def without_personal(text: str) -> str:
    """The text with protected information removed (see the module's docstring). Lines are
    kept in place: a wholly personal line becomes empty."""
    return "\n".join(_line_without_personal(line) for line in text.splitlines())


def without_names(text: str, names: list[str] | tuple[str, ...]) -> str:
    """The text without the person's names (first, last, any other), whatever their case or
    accents; names of one letter are left alone."""
    parts = {part for name in names for part in fold(name).split() if len(part) > 1}
    if not parts:
        return text

    def replace(match: re.Match[str]) -> str:
        # "O'Brien", "Jean-Pierre": the whole written name goes when its parts of two
        # letters or more are the person's (the "O" of O'Brien with them).
        pieces = [fold(p) for p in re.findall(r"[^\W\d_]+", match.group(0))]
        long = [p for p in pieces if len(p) > 1]
        return "" if long and all(p in parts for p in long) else match.group(0)

    return "\n".join(
        re.sub(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*", replace, line).strip() if line else line
        for line in text.splitlines()
    )
