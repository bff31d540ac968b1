"""CLI failures: one clear line on stderr and an exit code, never a traceback.

0 done; 1 anything else; 2 bad input (nothing sent); 3 refused by the case or not permitted;
4 not found; 5 not signed in (no key, key unknown or revoked, request refused).

The server raises these; its answer carries the code, and the client exits with it.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_REFUSED = 3
EXIT_NOT_FOUND = 4


class CliError(Exception):
    exit_code = EXIT_FAILED

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        """The rule that refused, when a case refused (e.g. `stale_step`): for clients, not people."""


class BadInput(CliError):
    exit_code = EXIT_BAD_INPUT


class Refused(CliError):
    exit_code = EXIT_REFUSED


class NotFound(CliError):
    exit_code = EXIT_NOT_FOUND


EXIT_NOT_SIGNED_IN = 5


class NotSignedIn(CliError):
    """Not signed in, the key unknown, revoked or refused, a request replayed (exit 5)."""

    exit_code = EXIT_NOT_SIGNED_IN
