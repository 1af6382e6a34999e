"""Reading a `relance simulate` scenario (YAML or JSON) into checked, typed values.

Every problem is reported as `FILE:LINE: FIELD: what was expected, got what`, and nothing
runs until the whole file is valid.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml

from relance import clock
from relance.engine import (
    BounceKind,
    CallOutcome,
    Channel,
    Policy,
    PolicyError,
    Purpose,
    Situation,
    Stage,
)
from relance.engine.calendar import CalendarError, check_country, zone
from relance.errors import ScenarioError
from relance.followups.events import EventType
from relance.people.models import Source


@dataclass(frozen=True)
class RecruiterSpec:
    id: str
    name: str
    email: str


@dataclass(frozen=True)
class CandidateSpec:
    id: str
    first_name: str
    last_name: str
    email: str = ""
    phone: str = ""
    linkedin: str = ""
    timezone: str = "Europe/Paris"
    country: str = "FR"
    language: str = "fr"
    stars: int = 0
    source: str = Source.LINKEDIN
    preferred_channel: str = ""
    hook: str = ""
    owner: str | None = None


@dataclass(frozen=True)
class JobSpec:
    id: str
    title: str
    recruiter: str | None = None


@dataclass(frozen=True)
class EventSpec:
    index: int
    line: int | None
    at: datetime
    type: EventType
    candidate: str
    recruiter: str | None = None
    channel: Channel | None = None
    situation: Situation | None = None
    job: str | None = None
    outcome: str = ""
    direction: str = ""
    until: datetime | None = None
    subject: str = ""
    body: str = ""
    send: bool = False  # message_sent: Relance sends it (the first e-mail of an approach)


@dataclass
class Scenario:
    source: str
    start: datetime
    until: datetime
    policy: Policy
    policy_overrides: dict[str, Any]
    auto_complete_tasks: bool
    organisation: str
    recruiters: list[RecruiterSpec] = field(default_factory=list)
    candidates: list[CandidateSpec] = field(default_factory=list)
    jobs: list[JobSpec] = field(default_factory=list)
    events: list[EventSpec] = field(default_factory=list)


# --- YAML with line numbers -----------------------------------------------------------------


class _Mapping(dict[str, Any]):
    line: int | None = None
    key_lines: dict[str, int]


class _List(list[Any]):
    line: int | None = None
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Mapping:
    out = _Mapping()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise yaml.MarkedYAMLError(
                problem=f"keys must be text, got {key!r}", problem_mark=key_node.start_mark
            )
        if key in out:
            raise yaml.MarkedYAMLError(
                problem=f"'{key}' appears twice in the same block", problem_mark=key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> _List:
    out = _List(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


class _Unreadable(str):
    """A value YAML took for a date but that does not exist (2026-02-30, an hour 25): kept
    as its text, so that the field that holds it reports it with its line and its name."""


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, OverflowError):
        return _Unreadable(node.value)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def load(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(str(path), None, "file", "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(str(path), None, "file", "is a directory; expected a file") from None
    except OSError as error:
        raise ScenarioError(str(path), None, "file", f"cannot read it ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ScenarioError(str(path), None, "file", "expected UTF-8 text") from None
    return parse(text, str(path))


def parse(text: str, source: str = "<scenario>") -> Scenario:
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise ScenarioError(source, line, "syntax", str(error.problem)) from None
    except yaml.YAMLError as error:
        raise ScenarioError(source, None, "syntax", str(error)) from None
    return _Reader(source).scenario(data)


# --- checking ------------------------------------------------------------------------------

_TOP = {
    "start",
    "until",
    "policy",
    "auto_complete_tasks",
    "organisation",
    "recruiters",
    "candidates",
    "jobs",
    "events",
}
_RECRUITER = {"id", "name", "email"}
_CANDIDATE = {
    "id",
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "linkedin",
    "timezone",
    "country",
    "language",
    "stars",
    "source",
    "preferred_channel",
    "hook",
    "owner",
}
_JOB = {"id", "title", "recruiter"}
_COMMON = {"at", "type", "candidate", "recruiter"}
_EVENT_FIELDS: dict[EventType, tuple[set[str], set[str]]] = {
    # type: (required, optional) besides at, type, candidate, recruiter
    EventType.MESSAGE_SENT: ({"channel"}, {"situation", "job", "subject", "body", "send"}),
    EventType.INVITATION_ACCEPTED: (set(), {"job"}),
    EventType.APPLICATION_RECEIVED: (set(), {"job", "channel"}),
    EventType.CALL: ({"outcome"}, {"situation", "direction", "job"}),
    EventType.REPLY_RECEIVED: (set(), {"channel", "body"}),
    EventType.AUTO_REPLY_RECEIVED: (set(), {"channel", "until"}),
    EventType.BOUNCE: ({"kind"}, set()),
    EventType.UNSUBSCRIBED: (set(), {"channel"}),
    EventType.STAGE_CHANGED: ({"job", "stage"}, set()),
    EventType.CONSENT_GIVEN: ({"purpose"}, set()),
    EventType.CONSENT_WITHDRAWN: ({"purpose"}, set()),
    EventType.DO_NOT_CONTACT: (set(), set()),
    EventType.INTERVIEW: (set(), {"job"}),
    EventType.TRIGGER: ({"kind"}, set()),
    EventType.NOTE: (set(), {"body"}),
}
_STARTING_SITUATIONS = {
    EventType.MESSAGE_SENT: {
        Situation.FIRST_MESSAGE,
        Situation.LINKEDIN_INVITATION,
        Situation.CV_DATABASE,
        Situation.KEEP_IN_TOUCH,
    },
    EventType.CALL: {Situation.CV_DATABASE, Situation.APPLICATION, Situation.INTERVIEW_FEEDBACK},
}
_TRIGGERS = ("work_anniversary", "new_job", "post")


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, line: int | None, where: str, message: str) -> ScenarioError:
        return ScenarioError(self.source, line, where, message)

    # helpers

    def mapping(self, value: Any, where: str, line: int | None) -> _Mapping:
        if not isinstance(value, dict):
            raise self.fail(line, where, f"expected a mapping (key: value), got {_show(value)}")
        return value if isinstance(value, _Mapping) else _as_mapping(value)

    def keys(self, data: _Mapping, allowed: set[str], where: str) -> None:
        for key in data:
            if key not in allowed:
                hint = difflib.get_close_matches(key, sorted(allowed), n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                raise self.fail(
                    data.key_lines.get(key, data.line),
                    f"{where}.{key}",
                    f"unknown field{suggestion}; expected one of: {', '.join(sorted(allowed))}",
                )

    def line_of(self, data: _Mapping, key: str) -> int | None:
        return data.key_lines.get(key, data.line)

    def required(self, data: _Mapping, key: str, where: str) -> Any:
        if key not in data or data[key] is None:
            raise self.fail(data.line, f"{where}.{key}", "this field is required")
        return data[key]

    def text(self, data: _Mapping, key: str, where: str, default: str = "") -> str:
        value = data.get(key, default)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(
                self.line_of(data, key), f"{where}.{key}", f"expected text, got {_show(value)}"
            )
        return str(value)

    def choice(self, data: _Mapping, key: str, where: str, choices: list[str]) -> str:
        value = self.text(data, key, where)
        if value not in choices:
            hint = difflib.get_close_matches(value, choices, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise self.fail(
                self.line_of(data, key),
                f"{where}.{key}",
                f"expected one of {', '.join(choices)}, got {value!r}{suggestion}",
            )
        return value

    def moment(self, data: _Mapping, key: str, where: str) -> datetime:
        value = data[key]
        line = self.line_of(data, key)
        expected = "expected a date-time with a UTC offset, like 2026-03-02T09:15:00+01:00"
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            raise self.fail(
                line,
                f"{where}.{key}",
                f"{expected}, got the date {value.isoformat()} without a time",
            )
        elif isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                wrong = _why_not(value)  # a day or an hour that does not exist
                message = f"{wrong}, in {value!r}" if wrong else f"{expected}, got {value!r}"
                raise self.fail(line, f"{where}.{key}", message) from None
        else:
            raise self.fail(line, f"{where}.{key}", f"{expected}, got {_show(value)}")
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise self.fail(line, f"{where}.{key}", f"{expected}; {value!s} has no offset")
        self.check_year(moment, line, f"{where}.{key}")
        return moment

    def check_year(self, moment: datetime | date, line: int | None, where: str) -> None:
        """A year beyond the ones Relance works in is a typo, and overflows as soon as a
        day is added to it (9999-12-31)."""
        try:
            clock.check_year(str(moment), moment)
        except clock.InstantError as error:
            raise self.fail(
                line, where, f"{error.describe('en')}, got {moment.isoformat()}"
            ) from None

    def items(self, data: _Mapping, key: str) -> list[tuple[int, int | None, Any]]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(self.line_of(data, key), key, f"expected a list, got {_show(value)}")
        lines = getattr(value, "item_lines", [None] * len(value))
        return [(i, lines[i], item) for i, item in enumerate(value)]

    def identifier(self, data: _Mapping, where: str, seen: set[str]) -> str:
        ident = self.text(data, "id", where) if "id" in data else ""
        if not ident:
            raise self.fail(data.line, f"{where}.id", "this field is required")
        if ident in seen:
            raise self.fail(self.line_of(data, "id"), f"{where}.id", f"'{ident}' is already used")
        seen.add(ident)
        return ident

    def reference(
        self, item: _Mapping, key: str, where: str, known: set[str], what: str
    ) -> str | None:
        """An optional id that must name a defined recruiter, candidate or job."""
        ident = self.text(item, key, where) or None
        if ident is not None and ident not in known:
            raise self.fail(
                self.line_of(item, key), f"{where}.{key}", f"no {what} has the id {ident!r}"
            )
        return ident

    # sections

    def scenario(self, data: Any) -> Scenario:
        if data is None:
            raise self.fail(None, "file", "the scenario is empty")
        data = self.mapping(data, "scenario", 1)
        self.keys(data, _TOP, "scenario")
        overrides = data.get("policy") or {}
        try:
            policy = Policy.from_mapping(overrides, where="policy")
        except PolicyError as error:
            raise self.fail(self.line_of(data, "policy"), error.field, error.message) from None
        auto = data.get("auto_complete_tasks", True)
        if not isinstance(auto, bool):
            raise self.fail(
                self.line_of(data, "auto_complete_tasks"),
                "auto_complete_tasks",
                f"expected true or false, got {_show(auto)}",
            )
        recruiters = self.recruiters(data)
        rids = {r.id for r in recruiters}
        candidates = self.candidates(data, rids)
        jobs = self.jobs(data, rids)
        events = self.events(data, {c.id for c in candidates}, rids, {j.id for j in jobs})
        start = self.moment(data, "start", "scenario") if "start" in data else None
        until = self.moment(data, "until", "scenario") if "until" in data else None
        if start is None:
            start = events[0].at if events else datetime.now(tz=zone("UTC"))
        if until is None:
            last = events[-1].at if events else start
            until = datetime.combine(last.date(), time(0), tzinfo=last.tzinfo) + _DAYS_60
        if until <= start:
            raise self.fail(self.line_of(data, "until"), "until", "must be after start")
        for event in events:
            if not start <= event.at <= until:
                raise self.fail(
                    event.line,
                    f"events[{event.index}].at",
                    f"{event.at.isoformat()} is outside the scenario "
                    f"({start.isoformat()} to {until.isoformat()})",
                )
        return Scenario(
            source=self.source,
            start=start,
            until=until,
            policy=policy,
            policy_overrides=dict(overrides),
            auto_complete_tasks=auto,
            organisation=self.text(data, "organisation", "scenario", "Simulation"),
            recruiters=recruiters,
            candidates=candidates,
            jobs=jobs,
            events=events,
        )

    def recruiters(self, data: _Mapping) -> list[RecruiterSpec]:
        out, seen, emails = [], set(), set()
        for i, line, raw in self.items(data, "recruiters"):
            where = f"recruiters[{i}]"
            item = self.mapping(raw, where, line)
            self.keys(item, _RECRUITER, where)
            ident = self.identifier(item, where, seen)
            email = self.text(self.require(item, "email", where), "email", where).strip().lower()
            if "@" not in email:
                raise self.fail(
                    self.line_of(item, "email"),
                    f"{where}.email",
                    f"expected an e-mail address, got {email!r}",
                )
            if email in emails:
                raise self.fail(
                    self.line_of(item, "email"), f"{where}.email", f"{email} is already used"
                )
            emails.add(email)
            out.append(RecruiterSpec(ident, self.text(item, "name", where, ident), email))
        if not out:
            raise self.fail(data.line, "recruiters", "at least one recruiter is required")
        return out

    def require(self, item: _Mapping, key: str, where: str) -> _Mapping:
        self.required(item, key, where)
        return item

    def candidates(self, data: _Mapping, recruiters: set[str]) -> list[CandidateSpec]:
        out, seen = [], set()
        for i, line, raw in self.items(data, "candidates"):
            where = f"candidates[{i}]"
            item = self.mapping(raw, where, line)
            self.keys(item, _CANDIDATE, where)
            ident = self.identifier(item, where, seen)
            if "name" in item:
                first, _, last = self.text(item, "name", where).strip().partition(" ")
            else:
                first = self.text(self.require(item, "first_name", where), "first_name", where)
                last = self.text(item, "last_name", where)
            tz = self.text(item, "timezone", where, "Europe/Paris")
            try:
                zone(tz)
            except CalendarError as error:
                raise self.fail(
                    self.line_of(item, "timezone"), f"{where}.timezone", str(error)
                ) from None
            country = self.text(item, "country", where, "FR").upper()
            try:
                check_country(country)
            except CalendarError as error:
                raise self.fail(
                    self.line_of(item, "country"), f"{where}.country", str(error)
                ) from None
            stars = item.get("stars", 0)
            if isinstance(stars, bool) or not isinstance(stars, int) or not 0 <= stars <= 3:
                raise self.fail(
                    self.line_of(item, "stars"),
                    f"{where}.stars",
                    f"expected a whole number from 0 to 3, got {_show(stars)}",
                )
            owner = self.reference(item, "owner", where, recruiters, "recruiter")
            email = self.text(item, "email", where).strip()
            if email and "@" not in email:
                raise self.fail(
                    self.line_of(item, "email"),
                    f"{where}.email",
                    f"expected an e-mail address, got {email!r}",
                )
            out.append(
                CandidateSpec(
                    id=ident,
                    first_name=first or ident,
                    last_name=last,
                    email=email,
                    phone=self.text(item, "phone", where),
                    linkedin=self.text(item, "linkedin", where),
                    timezone=tz,
                    country=country,
                    language=self.choice(item, "language", where, ["fr", "en"])
                    if "language" in item
                    else "fr",
                    stars=stars,
                    source=self.choice(item, "source", where, list(Source.values))
                    if "source" in item
                    else Source.LINKEDIN,
                    preferred_channel=self.choice(
                        item, "preferred_channel", where, [c.value for c in Channel]
                    )
                    if "preferred_channel" in item
                    else "",
                    hook=self.text(item, "hook", where),
                    owner=owner,
                )
            )
        if not out:
            raise self.fail(data.line, "candidates", "at least one candidate is required")
        return out

    def jobs(self, data: _Mapping, recruiters: set[str]) -> list[JobSpec]:
        out, seen = [], set()
        for i, line, raw in self.items(data, "jobs"):
            where = f"jobs[{i}]"
            item = self.mapping(raw, where, line)
            self.keys(item, _JOB, where)
            ident = self.identifier(item, where, seen)
            title = self.text(self.require(item, "title", where), "title", where)
            recruiter = self.reference(item, "recruiter", where, recruiters, "recruiter")
            out.append(JobSpec(ident, title, recruiter))
        return out

    def events(
        self, data: _Mapping, candidates: set[str], recruiters: set[str], jobs: set[str]
    ) -> list[EventSpec]:
        out = []
        for i, line, raw in self.items(data, "events"):
            where = f"events[{i}]"
            item = self.mapping(raw, where, line)
            self.required(item, "type", where)
            kind = EventType(self.choice(item, "type", where, [t.value for t in EventType]))
            required, optional = _EVENT_FIELDS[kind]
            if kind in (EventType.BOUNCE, EventType.TRIGGER):
                optional = optional | {"outcome"}
            self.keys(item, _COMMON | required | optional, where)
            for key in ("at", "candidate", *sorted(required)):
                self.required(item, key, where)
            at = self.moment(item, "at", where)
            candidate = self.reference(item, "candidate", where, candidates, "candidate") or ""
            recruiter = self.reference(item, "recruiter", where, recruiters, "recruiter")
            if recruiter is None and len(recruiters) == 1:
                recruiter = next(iter(recruiters))
            job = self.reference(item, "job", where, jobs, "job")
            channel = None
            if "channel" in item:
                allowed = [c.value for c in Channel]
                if kind is EventType.MESSAGE_SENT:
                    allowed = [c.value for c in Channel if c.written]
                channel = Channel(self.choice(item, "channel", where, allowed))
            situation = None
            if "situation" in item:
                starting = sorted(s.value for s in _STARTING_SITUATIONS[kind])
                situation = Situation(self.choice(item, "situation", where, starting))
            outcome = ""
            if kind is EventType.CALL:
                outcome = self.choice(item, "outcome", where, [o.value for o in CallOutcome])
            elif kind is EventType.BOUNCE:
                outcome = self.choice(item, "kind", where, [k.value for k in BounceKind])
            elif kind is EventType.STAGE_CHANGED:
                outcome = self.choice(item, "stage", where, [s.value for s in Stage])
            elif kind in (EventType.CONSENT_GIVEN, EventType.CONSENT_WITHDRAWN):
                outcome = self.choice(item, "purpose", where, [p.value for p in Purpose])
            elif kind is EventType.TRIGGER:
                outcome = self.choice(item, "kind", where, list(_TRIGGERS))
            until = None
            if "until" in item:
                until = self._return_date(item, where, at)
            direction = (
                self.choice(item, "direction", where, ["out", "in"]) if "direction" in item else ""
            )
            send = item.get("send", False)
            if not isinstance(send, bool):
                raise self.fail(
                    self.line_of(item, "send"), f"{where}.send",
                    f"expected true or false, got {_show(send)}",
                )  # fmt: skip
            if send and (situation is not Situation.FIRST_MESSAGE or channel is not Channel.EMAIL):
                raise self.fail(
                    self.line_of(item, "send"), f"{where}.send",
                    "Relance sends only the first e-mail of an approach: "
                    "expected channel: email and situation: first_message",
                )  # fmt: skip
            out.append(
                EventSpec(
                    index=i,
                    line=line,
                    at=at,
                    type=kind,
                    candidate=candidate,
                    recruiter=recruiter,
                    channel=channel,
                    situation=situation,
                    job=job,
                    outcome=outcome,
                    direction=direction,
                    until=until,
                    subject=self.text(item, "subject", where),
                    body=self.text(item, "body", where),
                    send=send,
                )
            )
        # Events may be written in any order; they happen in time order (stable for ties).
        return sorted(out, key=lambda e: e.at)

    def _return_date(self, item: _Mapping, where: str, at: datetime) -> datetime:
        value = item["until"]
        if isinstance(value, date) and not isinstance(value, datetime):
            # A return date without a time: the start of that day, in the event's offset.
            self.check_year(value, self.line_of(item, "until"), f"{where}.until")
            return datetime.combine(value, time(0), tzinfo=at.tzinfo)
        return self.moment(item, "until", where)


_DAYS_60 = timedelta(days=60)


def _as_mapping(value: Mapping[str, Any]) -> _Mapping:
    out = _Mapping(value)
    out.line = None
    out.key_lines = {}
    return out


def _why_not(value: str) -> str:
    """What is wrong in a date-time that looks like one (`2026-02-30 does not exist…`)."""
    try:
        clock.check_parts(value.strip())
    except clock.InstantError as error:
        return error.describe("en")
    return ""


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)
