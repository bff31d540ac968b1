"""An officer's request is answered within `BAOXUE_REQUEST_SECONDS` (20 s): past it, one line
saying what is not answering — the ledger, when its probe says so — and exit 1, not a hang.
The administrator's whole-county work (imports, discovery, verify, retention, a roster reload,
an enrolment or revocation that every open case is told of) and uploads are exempt: they take as
long as they take (docs/security.md, "Limits")."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from api.ledger_probe import LedgerProbe
from domain.messages import t

Scope = dict[str, Any]
LONG_WORK = (
    "/api/registers/",
    "/api/discover",
    "/api/verify",
    "/api/retention",
    "/api/roster/reload",
    "/api/enrol",
    "/api/officers/revoke",
    "/api/officers/rename",
)
"""Whole-county work: an import, discovery, verify, retention, and what tells every open case an
officer may act on of a new, revoked or renamed key (thousands of signed signals in a county)."""


class RequestDeadline:
    def __init__(self, app: Any, *, seconds: float, probe: LedgerProbe) -> None:
        self.app = app
        self.seconds = seconds
        self.probe = probe

    def exempt(self, scope: Scope) -> bool:
        path = scope["path"]
        return path.startswith(LONG_WORK) or (scope["method"] == "POST" and path.endswith("/evidence"))

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.exempt(scope):
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await asyncio.wait_for(self.app(scope, receive, watched_send), self.seconds)
        except TimeoutError:
            if started:
                return
            ledger = await self.probe.answers()
            message = t("server_slow", seconds=int(self.seconds)) if ledger else t("database_unavailable")
            body = json.dumps({"exit": 1, "message": message, "code": "deadline"}, ensure_ascii=False).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": body})
