"""The skills and job titles a CV or a job offer names, line by line (vocabulary.py).

A line is folded (text.fold), its stop words dropped and each word put in the singular
("projets" -> "projet", "developers" -> "developer": a trailing s, or the x of "-eaux"), the
same way the vocabulary's labels were; then, from each word, the longest label that starts
there is taken (a dictionary of word tuples and of their prefixes: no regex, one pass per
line). Word boundaries hold by construction: "java" is not in "javascript", which is one
word. So "développeur Java" and "Java developer" both give tech:developer and tech:java, and
"gestion de projets" is "project management".

A label that is an ordinary word too ("go", "spring", "vue", "c") counts only on a line that
names another tech term, or in a list of skills: "Go, Rust, Kafka" or "golang" is the
language, "go to the office" is not. A one-letter one, or one that is also a stop word
("C", "R", "AI" — "j'ai"), must be written in capitals.

A mention is `listed` when its line only lists terms — a "Compétences : …" / "Skills: …"
line, or a line made of nothing but known terms and separators — and not when it is a
sentence or an experience bullet that shows the skill used ("Développé des microservices
Spring Boot"). `evidence` keeps, per concept, a used mention before a listed one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from relance.matching import text, vocabulary

MAX_LINE = 200
# The stop words dropped before looking labels up: text's, but for the ones that are part of
# tech names ("langage C", "CI/CD", "IT security"); alone, those need capitals (see _Index).
_STOP_WORDS = text.STOP_WORDS - {"c", "ci", "it"}

# The words of a line's head ("Compétences techniques :", "Key skills:") that announce a list.
_HEADER_WORDS = frozenset(
    [
        "competence",
        "competences",
        "skill",
        "skills",
        "technical",
        "techniques",
        "technique",
        "technologie",
        "technologies",
        "technology",
        "tech",
        "outil",
        "outils",
        "tool",
        "tools",
        "langage",
        "langages",
        "language",
        "languages",
        "environnement",
        "environment",
        "stack",
        "logiciel",
        "logiciels",
        "software",
        "connaissance",
        "connaissances",
        "knowledge",
        "expertise",
        "expertises",
        "savoir",
        "faire",
        "key",
        "core",
        "main",
        "principales",
        "principaux",
        "framework",
        "frameworks",
        "base",
        "bases",
        "donnees",
        "database",
        "databases",
        "cloud",
        "methodologie",
        "methodologies",
        "methode",
        "methodes",
        "method",
        "methods",
        "informatique",
        "informatiques",
        "it",
        "programmation",
        "programming",
        "hard",
        "soft",
        "domaine",
        "domaines",
        "area",
        "areas",
        "skillset",
        "toolbox",
        "tooling",
        "certification",
        "certifications",
        "systeme",
        "systemes",
        "system",
        "systems",
    ]
)
# Other sections' headings: they end a "Skills" section.
_SECTION_TEXT = """
    experience experiences professionnelle professionnelles professional work employment
    history parcours formation formations education diplome diplomes degree degrees etude
    etudes projet projets project projects interet interets interest interests hobbies loisirs
    centres summary resume profil profile about objectif objective personal information
    informations personnelles reference references publications awards distinctions
    benevolat volunteering activites activities achievements realisations missions
"""
_SECTION_WORDS = frozenset(_SECTION_TEXT.split())
# Under a "Skills" heading, a line is a list unless it has more words than this beyond the
# terms it names (then it is a sentence that shows use).
_SENTENCE = 4
_HEAD = re.compile(r"^\s*[-–•*·▪►]?\s*([^:]{1,60}?)\s*:")
_SEPARATORS = re.compile(r"[,;|•·/]")


@dataclass(frozen=True)
class Mention:
    concept: str
    line: int
    text: str
    listed: bool


@lru_cache(maxsize=200_000)
def singular(word: str) -> str:
    """The key form of a folded word: "projets" -> "projet", "reseaux" -> "reseau"."""
    if len(word) > 3 and word.isalpha():
        if word.endswith("eaux"):
            return word[:-1]
        if word.endswith("s") and not word.endswith("ss"):
            return word[:-1]
    return word


def label_key(folded: str) -> tuple[str, ...]:
    """The word tuple a folded label is looked up by: stop words dropped (unless the label is
    only stop words, like the language "c"), each word in the singular."""
    words = folded.split()
    content = [word for word in words if word not in _STOP_WORDS] or words
    return tuple(map(singular, content))


@dataclass(frozen=True)
class _Index:
    keys: dict[tuple[str, ...], str]
    prefixes: frozenset[tuple[str, ...]]
    ambiguous: frozenset[tuple[str, ...]]
    kept_stop_words: frozenset[str]
    # ambiguous one-word labels that must be written in capitals: "C", "R", "AI"
    capitals: frozenset[str]
    # a folded word -> its key form, "" for a stop word (grows with the words met)
    word_keys: dict[str, str]


@lru_cache(maxsize=1)
def _index() -> _Index:
    loaded = vocabulary.load()
    keys = {
        label_key(label): concept.id
        for concept in loaded.concepts.values()
        for label in concept.labels
    }
    prefixes = frozenset(key[:size] for key in keys for size in range(1, len(key)))
    kept = frozenset(key[0] for key in keys if len(key) == 1 and key[0] in _STOP_WORDS)
    ambiguous = frozenset(label_key(label) for label in loaded.ambiguous) | {(w,) for w in kept}
    capitals = frozenset(
        key[0] for key in ambiguous if len(key) == 1 and (key[0] in kept or len(key[0]) == 1)
    )
    return _Index(keys, prefixes, ambiguous, kept, capitals, {})


def _line_hits(
    line: str, folded: str, index: _Index, in_skills: bool
) -> tuple[list[tuple[str, bool]], bool]:
    """The concepts a line names, in order (each once, with whether it is ambiguous), and
    whether the line only lists terms (`in_skills`: the line is under a "Skills" heading)."""
    cache = index.word_keys
    if len(cache) > 200_000:  # a long rebuild meets every misspelling: stay bounded
        cache.clear()
    words = []
    for word in folded.split():
        word_key = cache.get(word)
        if word_key is None:
            skipped = word in _STOP_WORDS and word not in index.kept_stop_words
            word_key = cache[word] = "" if skipped else singular(word)
        if word_key:
            words.append(word_key)
    hits: list[tuple[str, bool, int]] = []  # concept, ambiguous, words covered
    start, count = 0, len(words)
    while start < count:
        key: tuple[str, ...] = (words[start],)
        end, found = start + 1, None
        while True:
            if key in index.keys:
                found = (end, key)
            if key not in index.prefixes or end >= count:
                break
            key += (words[end],)
            end += 1
        if found is None:
            start += 1
            continue
        end, key = found
        ambiguous = key in index.ambiguous
        if not (ambiguous and key[0] in index.capitals and not _capital(line, key[0])):
            hits.append((index.keys[key], ambiguous, end - start))
        start = end
    if not hits:
        return [], False
    listed = _listed(line, words, hits, in_skills)
    sure = any(not ambiguous and cid.startswith("tech:") for cid, ambiguous, _ in hits)
    seen: set[str] = set()
    kept: list[tuple[str, bool]] = []
    for cid, ambiguous, _ in hits:
        if cid in seen or (ambiguous and not (sure or listed)):
            continue
        seen.add(cid)
        kept.append((cid, ambiguous))
    return kept, listed


def _capital(line: str, word: str) -> bool:
    return bool(re.search(rf"(?<![\w'’.]){re.escape(word.upper())}(?![\w'’+#.])", line))


def _listed(
    line: str, words: list[str], hits: list[tuple[str, bool, int]], in_skills: bool
) -> bool:
    covered = sum(size for _, _, size in hits)
    content = sum(1 for word in words if not word.isdigit())  # "1.", "(2019 - 2023)"
    if in_skills and content - covered <= _SENTENCE:
        return True
    head = _HEAD.match(line)
    if head:
        announced = [w for w in text.fold(head.group(1)).split() if w not in _STOP_WORDS]
        if announced and all(word in _HEADER_WORDS for word in announced):
            return True
    separators = len(_SEPARATORS.findall(line))
    if covered >= content and (separators or len(hits) == 1):
        return True
    return len(hits) >= 3 and separators >= len(hits) - 1 and covered >= 0.6 * content


def _heading(line: str, folded: str) -> bool | None:
    """True for a "Skills" heading line ("## Skills", "COMPÉTENCES TECHNIQUES",
    "Compétences :"), False for another section's heading ("Expérience", "## Education"),
    None for any other line."""
    if len(folded) > 80:
        return None  # a heading is short
    stripped = line.strip()
    before, colon, after = stripped.partition(":")
    if colon and after.strip():
        return None  # "Compétences : Java, Spring" is a list line, not a heading
    words = [w for w in (text.fold(before) if colon else folded).split() if w not in _STOP_WORDS]
    if not words or len(words) > 4:
        return None
    if all(word in _HEADER_WORDS for word in words):
        return True
    marked = stripped.startswith("#") or bool(colon)
    marked = marked or (before.isupper() and not _SEPARATORS.search(before))
    if marked or all(word in _SECTION_WORDS for word in words):
        return False
    return None


def mentions(written: str) -> list[Mention]:
    """Every concept named in a text, line by line, in reading order (a concept once per
    line), each with its line and whether the line only lists it."""
    index = _index()
    found: list[Mention] = []
    in_skills = False
    for number, line in enumerate(written.splitlines()):
        if not line.strip():
            continue
        folded = text.fold(line)
        heading = _heading(line, folded)
        if heading is not None:
            in_skills = heading
            if heading:
                continue
        hits, listed = _line_hits(line, folded, index, in_skills)
        shown = line.strip()[:MAX_LINE]
        found.extend(Mention(cid, number, shown, listed) for cid, _ in hits)
    return found


def evidence(written: str) -> dict[str, Mention]:
    """Per concept, the mention that best shows it: the first used one, else the first
    listed one."""
    best: dict[str, Mention] = {}
    for mention in mentions(written):
        kept = best.get(mention.concept)
        if kept is None or (kept.listed and not mention.listed):
            best[mention.concept] = mention
    return best
