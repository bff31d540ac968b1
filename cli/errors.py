"""A command's failure: one line on stderr and the exit code (docs/cli.md, "Exit codes")."""

from __future__ import annotations

from domain.failure import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_NOT_FOUND, EXIT_NOT_SIGNED_IN, EXIT_REFUSED, Failure

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_NOT_FOUND", "EXIT_NOT_SIGNED_IN", "EXIT_REFUSED", "ClientError"]


class ClientError(Failure):
    def __init__(self, message: str, exit_code: int = EXIT_FAILED, code: str | None = None) -> None:
        super().__init__(message, code)
        self.exit_code = exit_code


def bad_input(message: str) -> ClientError:
    return ClientError(message, EXIT_BAD_INPUT)


def not_signed_in(message: str) -> ClientError:
    return ClientError(message, EXIT_NOT_SIGNED_IN)
