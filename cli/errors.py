"""A command's failure: one line on stderr and the exit code (docs/cli.md, "Exit codes")."""

from __future__ import annotations

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_REFUSED = 3
EXIT_NOT_FOUND = 4
EXIT_NOT_SIGNED_IN = 5


class ClientError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_FAILED, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.code = code


def bad_input(message: str) -> ClientError:
    return ClientError(message, EXIT_BAD_INPUT)


def not_signed_in(message: str) -> ClientError:
    return ClientError(message, EXIT_NOT_SIGNED_IN)
