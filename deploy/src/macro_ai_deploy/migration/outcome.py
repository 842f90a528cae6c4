"""A rollout's result in words and as the exit code that tells the operator where traffic is."""

from __future__ import annotations

from macro_ai_deploy.exitcodes import ExitCode
from macro_ai_deploy.rollout import Phase, Result

_CODES = {
    Phase.COMPLETED: ExitCode.OK,
    Phase.ROLLED_BACK: ExitCode.MIGRATION_ROLLED_BACK,
    Phase.STOPPED_EXTERNALLY: ExitCode.MIGRATION_STOPPED_EXTERNALLY,
    Phase.ROLLBACK_FAILED: ExitCode.MIGRATION_ROLLBACK_FAILED,
    Phase.HELD_NO_FALLBACK: ExitCode.MIGRATION_HELD_NO_FALLBACK,
}


def exit_code(result: Result) -> ExitCode:
    if result.held:
        return ExitCode.MIGRATION_HELD
    code = _CODES.get(result.phase, ExitCode.INTERNAL)
    if code == ExitCode.OK and result.writeback_failed:
        return ExitCode.MIGRATION_DRIFT
    return code


def headline(result: Result, verb: str) -> tuple[str, str]:
    """(style, headline) such as ("red", "MIGRATION ROLLED BACK")."""
    if result.held:
        return "yellow", f"{verb.upper()} HELD"
    color = {
        Phase.COMPLETED: "green",
        Phase.ROLLED_BACK: "red",
        Phase.HELD_NO_FALLBACK: "bold red reverse",
    }.get(result.phase, "yellow")
    return color, f"{verb.upper()} {result.phase.value.upper().replace('_', ' ')}"
