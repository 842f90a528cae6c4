"""One exception type that carries the one line the operator sees and the exit code."""

from __future__ import annotations

from macro_ai_deploy.exitcodes import ExitCode


class DeployError(Exception):
    def __init__(self, message: str, code: ExitCode = ExitCode.INTERNAL) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class NotFound(DeployError):  # noqa: N818 - reads as the outcome, like Refused
    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.NOT_FOUND)


class Refused(DeployError):  # noqa: N818
    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.REFUSED)


class UsageError(DeployError):
    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.USAGE)
