"""CLI failures: one clear line on stderr and an exit code, never a traceback.

0 done; 1 anything else; 2 bad input (nothing sent); 3 refused by the case or not permitted;
4 not found; 5 not signed in (no key, key unknown or revoked, request refused).

The server raises these; its answer carries the code, and the client exits with it.
"""

from __future__ import annotations

from domain.failure import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_NOT_FOUND, EXIT_NOT_SIGNED_IN, EXIT_REFUSED, Failure

EXIT_OK = 0

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_NOT_FOUND",
    "EXIT_NOT_SIGNED_IN",
    "EXIT_OK",
    "EXIT_REFUSED",
    "BadInput",
    "CliError",
    "NotFound",
    "NotSignedIn",
    "Refused",
]


class CliError(Failure):
    exit_code = EXIT_FAILED


class BadInput(CliError):
    exit_code = EXIT_BAD_INPUT


class Refused(CliError):
    exit_code = EXIT_REFUSED


class NotFound(CliError):
    exit_code = EXIT_NOT_FOUND


class NotSignedIn(CliError):
    """Not signed in, the key unknown, revoked or refused, a request replayed (exit 5)."""

    exit_code = EXIT_NOT_SIGNED_IN
