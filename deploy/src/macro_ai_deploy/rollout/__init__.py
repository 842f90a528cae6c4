"""The traffic migration: a pure state machine (machine.py) driven through small ports (ports.py)."""

from macro_ai_deploy.rollout.engine import Event, Result, Rollout, abort
from macro_ai_deploy.rollout.machine import Mode, Phase
from macro_ai_deploy.rollout.model import DEFAULT_STEPS, GateReport, GateResult, Plan, Weights

__all__ = [
    "DEFAULT_STEPS",
    "Event",
    "GateReport",
    "GateResult",
    "Mode",
    "Phase",
    "Plan",
    "Result",
    "Rollout",
    "Weights",
    "abort",
]
