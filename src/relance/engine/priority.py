"""The agenda's order, packed in one integer so that the database can sort on it.

Order (DOMAIN.md): stage (later first), stars (more first), how overdue (earliest due
first), then situation (applications and feedback deadlines before sourcing follow-ups).
"""

from __future__ import annotations

from datetime import UTC, datetime

from relance.engine.types import Situation

SITUATION_RANK = {
    Situation.INTERVIEW_FEEDBACK: 0,
    Situation.APPLICATION: 1,
    Situation.ANSWER_DEADLINE: 2,
    Situation.REJECTION: 3,
    Situation.LINKEDIN_INVITATION: 4,
    Situation.CV_DATABASE: 5,
    Situation.FIRST_MESSAGE: 6,
    Situation.KEEP_IN_TOUCH: 7,
}
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_SECONDS_BITS = 34  # about 540 years after 2020
_MAX_STAGE = 15


def priority_key(stage_rank: int, stars: int, due_at: datetime, situation: Situation) -> int:
    """Smaller is more urgent. Fits in a signed 64-bit integer (43 bits used)."""
    stage_part = _MAX_STAGE - max(0, min(stage_rank, _MAX_STAGE))
    stars_part = 3 - max(0, min(stars, 3))
    seconds = int((due_at - _EPOCH).total_seconds())
    seconds = max(0, min(seconds, (1 << _SECONDS_BITS) - 1))
    return (
        (((stage_part << 2) | stars_part) << (_SECONDS_BITS + 3))
        | (seconds << 3)
        | SITUATION_RANK[situation]
    )
