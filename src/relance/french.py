"""French elision before a name: "d'Agence Démo", "qu'Hélène", but "de Relance",
"de Hachette". One helper for every French text that puts a name after a short word
(de, que, le, la, je, ne, se, ce, me, te, jusque, lorsque, puisque): web pages, the
candidates' pages, the consent wording and e-mail templates (as the Jinja filter `elide`).

The rule: the word loses its vowel before a vowel sound. A name that starts with a vowel
(accented or not) elides; so does one that starts with a mute h ("d'Hélène", "d'Hermès"),
unless it is one of the common words with an aspirated h ("de Hachette", "le Havre"). A
`Y` before a consonant sounds like a vowel ("d'Yves"), before a vowel it does not ("de
Yahoo"). Names starting with a digit or a sign never elide: "de 3M".
"""

from __future__ import annotations

import unicodedata

ELIDED = {
    "de": "d'",
    "que": "qu'",
    "le": "l'",
    "la": "l'",
    "je": "j'",
    "ne": "n'",
    "se": "s'",
    "ce": "c'",
    "me": "m'",
    "te": "t'",
    "jusque": "jusqu'",
    "lorsque": "lorsqu'",
    "puisque": "puisqu'",
}
VOWELS = frozenset("aeiouy")
# The start of common French words and names whose h is aspirated: no elision before them.
ASPIRATED_H = (
    "hach", "haie", "haine", "hall", "halte", "hamac", "hambourg", "hameau", "hamster",
    "hanche", "handi", "hangar", "hanter", "happ", "harc", "hardi", "hareng", "haricot",
    "harp", "hasard", "hate", "haut", "havre", "heros", "hetre", "hibou", "hierarch",
    "hockey", "hollande", "homard", "hongr", "honte", "hors", "houill", "housse", "hublot",
    "huee", "huit", "hurl", "hutte",
)  # fmt: skip


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def starts_with_vowel_sound(name: str) -> bool:
    """Whether a French speaker elides the word before `name`."""
    plain = _plain(name.strip())
    if not plain or not plain[0].isalpha():
        return False
    if plain[0] == "y":
        return len(plain) > 1 and plain[1].isalpha() and plain[1] not in VOWELS
    if plain[0] == "h":
        return not plain.startswith(ASPIRATED_H)
    return plain[0] in VOWELS or plain[0] in "œæ"


def elide(word: str, name: str) -> str:
    """`word` and `name` as French writes them together: elide("de", "Agence Démo") is
    "d'Agence Démo", elide("que", "Relance") is "que Relance". The word keeps its case
    ("De", "Que" at the start of a sentence); a word with no elided form is left as it is."""
    name = name.strip()
    elided = ELIDED.get(word.lower())
    if elided is None or not starts_with_vowel_sound(name):
        return f"{word} {name}"
    if word[:1].isupper():
        elided = elided[0].upper() + elided[1:]
    return f"{elided}{name}"
