"""The follow-up engine: pure Python, no Django.

Given a thread, the candidate, their touchpoints, the policy and `now`, `decide` says
what comes next (send, task, alert, wait, stop), when, and why.
"""

from relance.engine.calendar import CalendarError
from relance.engine.decide import (
    EngineError,
    acknowledgement,
    decide,
    opening,
    plan_next,
    window_for,
)
from relance.engine.policy import Policy, PolicyError
from relance.engine.priority import priority_key
from relance.engine.types import (
    FOLLOW_UP_SITUATIONS,
    BounceKind,
    CallOutcome,
    CandidateView,
    Channel,
    Decision,
    DecisionKind,
    Direction,
    Mode,
    Purpose,
    Situation,
    Stage,
    ThreadView,
    Touch,
    TouchKind,
)

__all__ = [
    "FOLLOW_UP_SITUATIONS",
    "BounceKind",
    "CalendarError",
    "CallOutcome",
    "CandidateView",
    "Channel",
    "Decision",
    "DecisionKind",
    "Direction",
    "EngineError",
    "Mode",
    "Policy",
    "PolicyError",
    "Purpose",
    "Situation",
    "Stage",
    "ThreadView",
    "Touch",
    "TouchKind",
    "acknowledgement",
    "decide",
    "opening",
    "plan_next",
    "priority_key",
    "window_for",
]
