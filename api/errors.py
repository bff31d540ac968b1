"""The answers every route may give besides its own result, as the OpenAPI schema declares them:
a JSON refusal (the API) or a page (the dashboard's pages)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    """Every refusal: one line for the reader and the exit code the command ends with."""

    exit: int
    message: str
    code: str | None = None


_REFUSALS = {400: "bad input", 401: "not signed in", 403: "refused", 404: "not found", 413: "body too large"}
ERRORS: dict[int | str, dict[str, Any]] = {
    **{status: {"model": ErrorBody, "description": why} for status, why in _REFUSALS.items()},
    503: {"model": ErrorBody, "description": "the ledger or Temporal did not answer in time"},
}
"""What every route may answer besides its own result (OpenAPI, so a client and a fuzzer know)."""
PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": why, "content": {"text/html": {}}} for status, why in _REFUSALS.items()
}
