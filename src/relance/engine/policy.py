"""An organisation's follow-up policy, and the hard caps no policy can cross.

A policy that asks for more than a hard cap is refused with a message that says which
setting, what was asked and what is allowed. It is never silently clipped: a recruiter
who asked for four follow-ups must learn that the fourth will not be sent.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import time
from typing import Any

# The hard caps of DOMAIN.md. Changing one of these is a product decision, not a setting.
HARD_MAX_FOLLOWUPS = 3
HARD_MIN_SPACING_DAYS = 2
HARD_MAX_MESSAGES_PER_DAY = 1
HARD_MAX_MESSAGES_PER_7_DAYS = 2
HARD_SENDING_WINDOW = (time(8, 0), time(19, 0))
HARD_CALL_WINDOW = (time(9, 0), time(19, 0))
HARD_MIN_REJECTION_DAYS = 3
HARD_MAX_ANSWER_DAYS = 14
HARD_MIN_NEAR_DUPLICATE_DAYS = 90
HARD_MAX_OUT_OF_OFFICE_DAYS = 30  # an out-of-office without a date delays at most this long


class PolicyError(ValueError):
    """A policy value outside what the rules allow. `field` names the setting."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Policy:
    max_followups: int = 2
    # Delay before follow-up 1, 2 and 3 of a written sequence, each after the step before.
    followup_delays_days: tuple[float, float, float] = (2, 5, 7)
    spacing_days: float = 2
    max_messages_per_day: int = 1
    max_messages_per_7_days: int = 2
    sending_window: tuple[time, time] = HARD_SENDING_WINDOW
    call_window: tuple[time, time] = HARD_CALL_WINDOW
    application_call_within_hours: int = 4
    application_followup_within_days: int = 2
    keep_in_touch_after_days: int = 120
    out_of_office_default_days: int = 7
    rejection_not_before_days: int = 3
    answer_deadline_days: int = 14
    deadline_warning_days: int = 2
    near_duplicate_days: int = 90

    def __post_init__(self) -> None:
        _check(self)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, where: str = "policy") -> Policy:
        """Build a policy from overrides (a scenario's `policy:`, an organisation's settings).

        Raises PolicyError naming `where.setting` for an unknown setting, a wrong type or
        a value beyond a hard cap.
        """
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise PolicyError(where, f"expected a mapping of settings, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in data.items():
            if key not in known:
                hint = difflib.get_close_matches(str(key), sorted(known), n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                raise PolicyError(
                    f"{where}.{key}",
                    f"unknown setting{suggestion}; known settings: {', '.join(sorted(known))}",
                )
            values[key] = _parse(f"{where}.{key}", key, raw)
        try:
            return cls(**values)
        except PolicyError as error:
            raise PolicyError(f"{where}.{error.field}", error.message) from None

    def to_mapping(self) -> dict[str, Any]:
        out = asdict(self)
        out["followup_delays_days"] = list(self.followup_delays_days)
        for key in ("sending_window", "call_window"):
            start, end = out[key]
            out[key] = f"{start:%H:%M}-{end:%H:%M}"
        return out


def _parse(path: str, key: str, raw: Any) -> Any:
    if key in ("sending_window", "call_window"):
        return _parse_window(path, raw)
    if key == "followup_delays_days":
        if not isinstance(raw, list | tuple) or not all(_is_number(x) for x in raw):
            raise PolicyError(path, f"expected a list of up to 3 numbers of days, got {raw!r}")
        if not 1 <= len(raw) <= HARD_MAX_FOLLOWUPS:
            raise PolicyError(path, f"expected 1 to 3 delays, got {len(raw)}")
        delays = [float(x) for x in raw]
        # Delays not given keep the default for that follow-up.
        defaults = Policy.followup_delays_days
        return tuple(delays + list(defaults[len(delays) :]))
    if key == "spacing_days":
        if not _is_number(raw):
            raise PolicyError(path, f"expected a number of days, got {raw!r}")
        return float(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise PolicyError(path, f"expected a whole number, got {raw!r}")
    return raw


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse_window(path: str, raw: Any) -> tuple[time, time]:
    expected = "expected a window like '08:00-19:00'"
    if not isinstance(raw, str) or raw.count("-") != 1:
        raise PolicyError(path, f"{expected}, got {raw!r}")
    try:
        start, end = (time.fromisoformat(part.strip()) for part in raw.split("-"))
    except ValueError:
        raise PolicyError(path, f"{expected}, got {raw!r}") from None
    return (start, end)


def _check(policy: Policy) -> None:
    def bounded(name: str, low: float, high: float, why: str = "") -> None:
        value = getattr(policy, name)
        if value > high:
            raise PolicyError(name, f"{value} is above the {_cap(why)}maximum of {high}{why}")
        if value < low:
            raise PolicyError(name, f"{value} is below the {_cap(why)}minimum of {low}{why}")

    bounded(
        "max_followups",
        0,
        HARD_MAX_FOLLOWUPS,
        " — a 4th follow-up is never sent (hard rule 1)",
    )
    bounded(
        "spacing_days",
        HARD_MIN_SPACING_DAYS,
        30,
        " — two written messages of a thread are at least 2 days apart (hard rule 2)",
    )
    for number, delay in enumerate(policy.followup_delays_days, start=1):
        if delay < policy.spacing_days:
            raise PolicyError(
                "followup_delays_days",
                f"follow-up {number} comes {delay:g} days after the step before, less than "
                f"the spacing of {policy.spacing_days:g} days (hard rule 2)",
            )
        if delay > 60:
            raise PolicyError(
                "followup_delays_days", f"follow-up {number}: {delay:g} days is above 60"
            )
    bounded(
        "max_messages_per_day",
        1,
        HARD_MAX_MESSAGES_PER_DAY,
        " — at most 1 message per candidate per day (hard rule 3)",
    )
    bounded(
        "max_messages_per_7_days",
        1,
        HARD_MAX_MESSAGES_PER_7_DAYS,
        " — at most 2 messages per candidate per 7 days (hard rule 3)",
    )
    _check_window("sending_window", policy.sending_window, HARD_SENDING_WINDOW, "hard rule 6")
    _check_window("call_window", policy.call_window, HARD_CALL_WINDOW, "hard rule 6")
    bounded("application_call_within_hours", 1, 8)
    bounded(
        "application_followup_within_days",
        1,
        2,
        " — a candidate who applied hears from us again within 2 days",
    )
    bounded("keep_in_touch_after_days", 30, 730)
    bounded("out_of_office_default_days", 1, HARD_MAX_OUT_OF_OFFICE_DAYS)
    bounded(
        "rejection_not_before_days",
        HARD_MIN_REJECTION_DAYS,
        HARD_MAX_ANSWER_DAYS,
        " — a rejection leaves between day 3 and day 14",
    )
    bounded(
        "answer_deadline_days",
        policy.rejection_not_before_days,
        HARD_MAX_ANSWER_DAYS,
        " — every application is answered within 14 days",
    )
    bounded("deadline_warning_days", 0, policy.answer_deadline_days - 1)
    bounded(
        "near_duplicate_days",
        HARD_MIN_NEAR_DUPLICATE_DAYS,
        3650,
        " — a near-identical message is held back for at least 90 days (hard rule 7)",
    )


def _cap(why: str) -> str:
    return "hard " if why else ""


def _check_window(name: str, window: tuple[time, time], hard: tuple[time, time], rule: str) -> None:
    start, end = window
    if not start < end:
        raise PolicyError(
            name, f"the window must start before it ends, got {start:%H:%M}-{end:%H:%M}"
        )
    if start < hard[0] or end > hard[1]:
        raise PolicyError(
            name,
            f"{start:%H:%M}-{end:%H:%M} goes beyond the hard limits "
            f"{hard[0]:%H:%M}-{hard[1]:%H:%M} ({rule})",
        )
