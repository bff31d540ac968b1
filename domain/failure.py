"""A failure a person reads: one line and the exit code the command ends with (docs/cli.md, "Exit
codes"). The client's errors, the server's refusals and bad input all are one; the `baoxue`
executable catches this one class whichever side raised it. Standard library only."""

from __future__ import annotations

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_REFUSED = 3
EXIT_NOT_FOUND = 4
EXIT_NOT_SIGNED_IN = 5


class Failure(Exception):
    exit_code = EXIT_FAILED

    def __init__(self, message: str, code: str | None = None, params: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        """The rule that refused, when a case refused (e.g. `stale_step`): for clients, not people."""
        self.params = params or {}
        """The rule's particulars as the case gave them (for `stale_step`, `now`: the case's number)."""
