"""The evaluation sets of benchmarks/matching.py, built at run time from public data that is
read where it lies (../shared/data by default) and never copied into the repository.

Each set is a pool of CVs (an id and a text) and queries (a job offer's text) with graded
relevance judgements: 2 the CV made for this offer, 1 its near miss (the same person with
some of the offer's skills or experience taken away), 0 any other CV. Every set is split
into `tuning` and `test` by its rows (an offer and its own CVs), so no CV is in both; the pool
of a split holds only that split's CVs.

1. **RJDB** (English) — `matching/rjdb_test.jsonl`: Resume-Job Description Benchmark by
   Megagon Labs (Pezeshkpour et al., arXiv:2311.06383, https://github.com/megagonlabs/rjdb),
   test split, CC BY-SA 4.0, synthetic (generated with GPT-4). 1,000 offers, each with a
   matched resume (2) and an unmatched one (1: "Filtered-information" says what was taken
   away). Used as is.
2. **ROME-FR** (French) — generated here from France Travail's ROME 4.0 v460 open data
   (`rome/unix_*_v460_utf8.csv`, Licence Ouverte / Etalab 2.0, "France Travail — ROME"): for
   each sampled job sheet (métier), an offer written with one of its job titles, five of its
   core skills ("savoir-faire") and three of its knowledge items ("savoirs"); a matched CV
   with ANOTHER job title of the same sheet (a synonym: "Développeur web" for "Développeur
   informatique"), four of the five skills as experience bullets and two of the knowledge
   items in a skills line, beside other items of the sheet (2); a near miss with the same
   sheet's title but one offer skill and one knowledge item, the rest from a neighbouring
   sheet (same ROME parent or domain) (1); and three CVs of neighbouring sheets (0), so the
   pool is mostly people of the same trades. Templates and sampling are below (seeded: the same
   set every run). Derived data of ROME: Licence Ouverte 2.0, attribution "France Travail —
   ROME". Caveat: template-made, so the offer and its CV share ROME's wording more than two
   people would; it measures French text handling, titles as synonyms and near misses, not
   paraphrase.
3. **RJDB-FR-CV** (cross-language) — each RJDB offer (English) against French CVs written
   here from the same row's skills and experience: a skill is translated by our own glossary
   below (`GLOSSARY`, the most frequent RJDB soft and general skills, written for this
   benchmark), else by ESCO (`esco/skills_en-us.csv` -> `skills_fr.csv` on the concept URI,
   an exact label or synonym match; ESCO v1, European Commission, free reuse with
   attribution, Decision 2011/833/EU), else kept as written (tech terms: Java, SQL, VMware
   stay so in a French CV). Job titles likewise through ESCO occupations, else kept. The
   matched CV (2) and the near miss (the unmatched resume's skills and experience, 1) of
   each row. Derived from RJDB: CC BY-SA 4.0 if shared (it is not: built in memory at each
   run). The share of skills translated is reported with the figures.
"""

from __future__ import annotations

import csv
import json
import random
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

SPLITS = ("tuning", "test")


@dataclass
class Query:
    id: str
    text: str
    grades: dict[str, int]  # CV id -> 2 (matched) or 1 (near miss); others 0
    matched: str  # the CV made for this offer
    near: str  # its near miss


@dataclass
class EvalSet:
    name: str
    split: str
    cvs: dict[str, str] = field(default_factory=dict)
    queries: list[Query] = field(default_factory=list)
    note: str = ""


def split_of(row: int) -> str:
    """One row in five for tuning, the others for test (by row: a row's CVs are its own)."""
    return "tuning" if row % 5 == 0 else "test"


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9+#.]+", text))


# --- 1. RJDB ------------------------------------------------------------------------------


def rjdb_rows(data: Path) -> list[dict]:  # type: ignore[type-arg]
    with open(data / "matching" / "rjdb_test.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def rjdb(data: Path, split: str) -> EvalSet:
    out = EvalSet("RJDB (en)", split)
    for i, row in enumerate(rjdb_rows(data)):
        if split_of(i) != split:
            continue
        matched, near = f"rjdb-{i}-m", f"rjdb-{i}-u"
        out.cvs[matched] = row["Resume-matched"]
        out.cvs[near] = row["Resume-unmatched"]
        out.queries.append(Query(f"rjdb-{i}", row["Job-Description"],
                                 {matched: 2, near: 1}, matched, near))  # fmt: skip
    return out


# --- 2. ROME-FR ---------------------------------------------------------------------------


def _rome_csv(data: Path, name: str) -> list[dict[str, str]]:
    with open(data / "rome" / f"unix_{name}_v460_utf8.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@dataclass
class _Sheet:
    code: str
    parent: str
    titles: list[str] = field(default_factory=list)
    core: list[str] = field(default_factory=list)  # savoir-faire, core first
    knowledge: list[str] = field(default_factory=list)  # savoirs


def _sheets(data: Path) -> dict[str, _Sheet]:
    sheets: dict[str, _Sheet] = {}
    for row in _rome_csv(data, "referentiel_code_rome"):
        sheets[row["code_rome"]] = _Sheet(row["code_rome"], row["code_rome_parent"],
                                          [_one_gender(row["libelle_rome"])])  # fmt: skip
    for row in _rome_csv(data, "referentiel_appellation"):
        sheet = sheets.get(row["code_rome"])
        if sheet is not None and row.get("peu_usite") != "O":
            title = _one_gender(row["libelle_appellation_court"])
            if title not in sheet.titles:
                sheet.titles.append(title)
    items = {r["code_ogr"]: (r["libelle"], r["code_rubrique"]) for r in _rome_csv(data, "item")}
    for row in _rome_csv(data, "coherence_item"):
        sheet = sheets.get(row["code_rome"])
        item = items.get(row["code_ogr"])
        if sheet is None or item is None:
            continue
        label, rubric = item
        if rubric == "1":
            if row["coeur_metier"] == "Principale":
                sheet.core.insert(0, label)
            else:
                sheet.core.append(label)
        elif rubric == "3":
            sheet.knowledge.append(label)
    return sheets


def _one_gender(title: str) -> str:
    """ "Développeur / Développeuse informatique" -> "Développeur informatique" (the first
    form, as most offers write it)."""
    if " / " not in title:
        return title
    first, _sep, rest = title.partition(" / ")
    tail = rest.split(" ", 1)[1] if " " in rest else ""
    return f"{first} {tail}".strip()


CITIES = ["Paris", "Lyon", "Nantes", "Lille", "Bordeaux", "Toulouse", "Rennes", "Grenoble"]
COMPANIES = ["Alcéa", "Briand & Fils", "Corélis", "Delta Services", "Estérel", "Fontaine SA"]
DISTRACTORS = 3  # CVs of neighbouring sheets added to the pool per offer (grade 0)
SCHOOLS = ["BTS", "Licence professionnelle", "Master", "DUT", "Titre professionnel", "CAP"]


def rome_fr(data: Path, split: str, sheets_wanted: int = 300) -> EvalSet:
    sheets = _sheets(data)
    usable = sorted(code for code, s in sheets.items()
                    if len(s.titles) >= 2 and len(s.core) >= 8 and len(s.knowledge) >= 5)  # fmt: skip
    chosen = random.Random(15).sample(usable, min(sheets_wanted, len(usable)))
    by_parent: dict[str, list[str]] = defaultdict(list)
    for code in usable:
        by_parent[sheets[code].parent].append(code)
    out = EvalSet("ROME-FR (fr)", split, note=f"{len(chosen)} ROME job sheets sampled")
    for i, code in enumerate(chosen):
        if split_of(i) != split:
            continue
        rng = random.Random(f"{code}-15")
        sheet = sheets[code]
        others = [c for c in by_parent[sheet.parent] if c != code] or [
            c for c in usable if c[:3] == code[:3] and c != code
        ] or [c for c in usable if c[0] == code[0] and c != code]  # fmt: skip
        neighbour = sheets[rng.choice(others)]
        offer_title, cv_title = rng.sample(sheet.titles, 2)
        skills = sheet.core[:5]
        rest = sheet.core[5:]
        knowledge = rng.sample(sheet.knowledge, 3)
        other_knowledge = [k for k in sheet.knowledge if k not in knowledge]
        years = rng.randint(2, 8)
        offer = "\n".join([
            f"Intitulé du poste : {offer_title}",
            f"{rng.choice(COMPANIES)} recrute un {offer_title} en CDI à {rng.choice(CITIES)}.",
            "Vos missions :",
            *[f"- {s}" for s in skills],
            "Profil recherché :",
            f"- Connaissances : {', '.join(knowledge)}",
            f"- {years} ans d'expérience minimum sur un poste similaire",
        ])  # fmt: skip
        start = 2024 - years - rng.randint(0, 4)
        used = rng.sample(skills, 4) + rng.sample(rest, min(2, len(rest)))
        rng.shuffle(used)
        matched = "\n".join([
            cv_title,
            "Expérience professionnelle",
            f"{start} – 2024 : {cv_title}, {rng.choice(COMPANIES)}",
            *[f"- {s}" for s in used],
            f"Compétences : {', '.join(knowledge[:2] + rng.sample(other_knowledge, 1))}",
            f"Formation : {rng.choice(SCHOOLS)}",
        ])  # fmt: skip
        near_used = [rng.choice(skills), *rng.sample(neighbour.core, min(4, len(neighbour.core)))]
        rng.shuffle(near_used)
        near = "\n".join([
            offer_title,
            "Expérience professionnelle",
            f"{start + 3} – 2024 : {offer_title}, {rng.choice(COMPANIES)}",
            *[f"- {s}" for s in near_used],
            f"Compétences : {', '.join([knowledge[0], *rng.sample(neighbour.knowledge, 2)])}",
            f"Formation : {rng.choice(SCHOOLS)}",
        ])  # fmt: skip
        m, u = f"rome-{code}-m", f"rome-{code}-u"
        out.cvs[m], out.cvs[u] = matched, near
        for k in range(DISTRACTORS):  # people of neighbouring sheets: same domain, other job
            other = sheets[rng.choice(others)]
            out.cvs[f"rome-{code}-d{k}"] = "\n".join([
                other.titles[0],
                "Expérience professionnelle",
                f"{start} – 2024 : {other.titles[0]}, {rng.choice(COMPANIES)}",
                *[f"- {s}" for s in rng.sample(other.core, min(6, len(other.core)))],
                f"Compétences : {', '.join(rng.sample(other.knowledge, 3))}",
                f"Formation : {rng.choice(SCHOOLS)}",
            ])  # fmt: skip
        out.queries.append(Query(f"rome-{code}", offer, {m: 2, u: 1}, m, u))
    return out


# --- 3. RJDB offers, French CVs -----------------------------------------------------------

# Our own translations of the most frequent RJDB skills (folded English -> French).
GLOSSARY = {
    "communication skills": "Aisance relationnelle et communication",
    "communication": "Communication",
    "attention to detail": "Rigueur et sens du détail",
    "time management": "Gestion du temps",
    "time management skills": "Gestion du temps",
    "problem solving skills": "Résolution de problèmes",
    "problem solving": "Résolution de problèmes",
    "complex problem solving": "Résolution de problèmes complexes",
    "critical thinking": "Esprit critique",
    "critical thinking skills": "Esprit critique",
    "active listening": "Écoute active",
    "quality control analysis": "Contrôle qualité",
    "operation monitoring": "Surveillance des installations",
    "equipment maintenance": "Maintenance des équipements",
    "management": "Management",
    "troubleshooting": "Dépannage",
    "troubleshooting skills": "Dépannage",
    "coordination": "Coordination",
    "manual dexterity": "Dextérité manuelle",
    "development": "Développement",
    "reading comprehension": "Compréhension écrite",
    "judgment and decision making": "Jugement et prise de décision",
    "decision making skills": "Prise de décision",
    "operation and control": "Conduite et contrôle des opérations",
    "interpersonal skills": "Qualités relationnelles",
    "customer service skills": "Sens du service client",
    "customer service": "Service client",
    "active learning": "Apprentissage actif",
    "project": "Projet",
    "monitoring": "Supervision",
    "mathematics": "Mathématiques",
    "repairing": "Réparation",
    "analysis": "Analyse",
    "analytical skills": "Capacités d'analyse",
    "analytical thinking": "Esprit d'analyse",
    "project management": "Gestion de projet",
    "project management skills": "Gestion de projet",
    "organizational skills": "Sens de l'organisation",
    "physical stamina and strength": "Endurance et force physique",
    "physical strength and stamina": "Endurance et force physique",
    "physical stamina": "Endurance physique",
    "physical fitness and stamina": "Bonne condition physique",
    "security": "Sécurité",
    "research skills": "Recherche",
    "research": "Recherche",
    "manager": "Responsable",
    "architecture": "Architecture",
    "technical skills": "Compétences techniques",
    "equipment selection": "Choix des équipements",
    "patience": "Patience",
    "ability to work under pressure": "Résistance au stress",
    "programming": "Programmation",
    "speaking": "Expression orale",
    "testing": "Tests",
    "social perceptiveness": "Sens de l'écoute",
    "basic math skills": "Calcul",
    "creativity": "Créativité",
    "hardware": "Matériel informatique",
    "systems analysis": "Analyse des systèmes",
    "systems evaluation": "Évaluation des systèmes",
    "developer": "Développeur",
    "writing": "Rédaction",
    "writing skills": "Rédaction",
    "database": "Bases de données",
    "mechanical knowledge": "Connaissances en mécanique",
    "mechanical skills": "Mécanique",
    "networking": "Réseaux",
    "network": "Réseau",
    "computer skills": "Informatique",
    "basic computer skills": "Bureautique",
    "computer literacy": "Bureautique",
    "leadership skills": "Leadership",
    "ability to work in a team": "Travail en équipe",
    "teamwork": "Travail en équipe",
    "teamwork skills": "Travail en équipe",
    "teamwork and collaboration": "Travail en équipe",
    "teamwork and collaboration skills": "Travail en équipe",
    "consulting": "Conseil",
    "negotiation": "Négociation",
    "negotiation skills": "Négociation",
    "laboratory skills": "Techniques de laboratoire",
    "help desk": "Support utilisateurs",
    "desktop support": "Support utilisateurs",
    "knowledge of safety procedures": "Règles de sécurité",
    "safety procedures knowledge": "Règles de sécurité",
    "safety management": "Gestion de la sécurité",
    "safety awareness": "Respect des consignes de sécurité",
    "service orientation": "Sens du service",
    "analyst": "Analyste",
    "instructing": "Formation",
    "instructional skills": "Pédagogie",
    "education and training": "Formation",
    "persuasion": "Force de persuasion",
    "modeling": "Modélisation",
    "technical writing": "Rédaction technique",
    "web services": "Services web",
    "director": "Directeur",
    "management of personnel resources": "Management d'équipe",
    "supervision": "Encadrement",
    "supervisor": "Encadrement",
    "stress management": "Gestion du stress",
    "sales": "Vente",
    "learning strategies": "Capacité d'apprentissage",
    "engineer": "Ingénieur",
    "project manager": "Chef de projet",
    "software engineer": "Ingénieur logiciel",
    "architect": "Architecte",
    "animal care": "Soins aux animaux",
    "medical knowledge": "Connaissances médicales",
    "ability to work independently": "Autonomie",
    "installation": "Installation",
    "multitasking skills": "Polyvalence",
    "public speaking": "Prise de parole en public",
    "statistical analysis": "Analyse statistique",
    "design": "Conception",
    "adaptability": "Adaptabilité",
    "inventory management skills": "Gestion des stocks",
    "cloud": "Cloud",
    "diagnostic": "Diagnostic",
    "audio visual": "Audiovisuel",
    "data warehouse": "Entrepôt de données",
    "scripting": "Scripts",
}


def _esco_translations(data: Path, kind: str) -> dict[str, str]:
    """Folded English label or synonym -> French preferred label, from ESCO."""
    english = "skills_en-us.csv" if kind == "skills" else "occupations_en.csv"
    french = f"{kind}_fr.csv"
    fr: dict[str, str] = {}
    with open(data / "esco" / french, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            fr[row["conceptUri"]] = row["preferredLabel"].split("/")[0]
    out: dict[str, str] = {}
    with open(data / "esco" / english, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            label = fr.get(row["conceptUri"])
            if label is None:
                continue
            for name in [row["preferredLabel"], *row["altLabels"].split("\n")]:
                if name.strip():
                    out.setdefault(fold(name), label)
    return out


DEGREES = {"bachelor": "Licence", "master": "Master", "associate": "BTS", "phd": "Doctorat",
           "doctor": "Doctorat", "high school": "Baccalauréat", "diploma": "Diplôme"}  # fmt: skip


def cross(data: Path, split: str) -> EvalSet:
    skills_fr = _esco_translations(data, "skills")
    titles_fr = _esco_translations(data, "occupations")
    counts = {"skills": 0, "translated": 0, "titles": 0, "titles translated": 0}

    def skill(name: str) -> str:
        counts["skills"] += 1
        key = fold(name)
        french = GLOSSARY.get(key) or skills_fr.get(key)
        if french is None:
            return name
        counts["translated"] += 1
        return french[:1].upper() + french[1:]

    def title(name: str) -> str:
        name = re.sub(r"\(.*?\)", "", name).strip()
        key = fold(name)
        singular = " ".join(w[:-1] if w.endswith("s") and len(w) > 3 else w for w in key.split())
        counts["titles"] += 1
        french = GLOSSARY.get(key) or titles_fr.get(key) or titles_fr.get(singular)
        if french is None:
            return name
        counts["titles translated"] += 1
        return french[:1].upper() + french[1:]

    def education(resume: str) -> str:
        found = re.search(r"## Education\s*\n(.+)", resume)
        text = found.group(1).lower() if found else ""
        degree = next((fr for en, fr in DEGREES.items() if en in text), "Diplôme")
        return f"{degree} (formation initiale)"

    def french_cv(resume: str, skills: list[str], experience: list[str]) -> str:
        lines = ["Profil"]
        if experience:
            lines.append(f"{title(experience[0])} — expérience confirmée")
        lines.append("Compétences")
        lines += [f"- {skill(s)}" for s in skills]
        lines.append("Expérience professionnelle")
        for item in experience:
            years = re.search(r"\((\d{4}) - (\d{4})\)", item)
            when = f" ({years.group(1)} – {years.group(2)})" if years else ""
            lines.append(f"- {title(item)}{when}")
        lines += ["Formation", education(resume)]
        return "\n".join(lines)

    out = EvalSet("RJDB offers (en) x French CVs", split)
    for i, row in enumerate(rjdb_rows(data)):
        if split_of(i) != split:
            continue
        experience = row["Experiences-years"][0][1] if row.get("Experiences-years") else []
        removed = {fold(s) for s in row["Filtered-information"].get("Skills", [])}
        near_skills = [s for s in row["Skills"] if fold(s) not in removed]
        change = re.findall(r'"([^"]+)"', row["Filtered-information"].get("Experience", ""))
        near_experience = [change[1] if len(change) == 2 and e == change[0] else e
                           for e in experience]  # fmt: skip
        matched, near = f"xfr-{i}-m", f"xfr-{i}-u"
        out.cvs[matched] = french_cv(row["Resume-matched"], row["Skills"], experience)
        out.cvs[near] = french_cv(row["Resume-unmatched"], near_skills, near_experience)
        out.queries.append(Query(f"xfr-{i}", row["Job-Description"],
                                 {matched: 2, near: 1}, matched, near))  # fmt: skip
    share = counts["translated"] / max(1, counts["skills"])
    titles = counts["titles translated"] / max(1, counts["titles"])
    out.note = (f"{share:.0%} of the CVs' skills and {titles:.0%} of their job titles translated "
                "to French (the rest kept as written)")  # fmt: skip
    return out
