"""Every request body has a limit, checked before it is read: a declared length over it is refused
at once, and a body that runs past it while being read stops there (413, the limit named). JSON
bodies are small; an evidence file is at most 10 MB; a register file is at most
`BAOXUE_REGISTER_MAX_BYTES` (docs/security.md, "Limits")."""

from __future__ import annotations

import json
from typing import Any

from domain.evidence import MAX_EVIDENCE_BYTES
from domain.messages import t
from starter.errors import BadInput

JSON_BODY_BYTES = 256 * 1024
"""A step's fields are at most 64 KB (domain.parsing.MAX_STEP_BYTES); the rest is headroom."""
EVIDENCE_BODY_BYTES = MAX_EVIDENCE_BYTES + 64 * 1024
SCHOOL_LIST_BYTES = 4 * 1024 * 1024
"""A county's list of schools (hundreds of rows) is a few tens of KB as a workbook."""

Scope = dict[str, Any]


class BodyTooLarge(BadInput):
    """Answered with 413."""


class BodyLimits:
    """Pure ASGI, like ServerTiming: it counts what the app reads and never buffers it."""

    def __init__(self, app: Any, *, register_bytes: int) -> None:
        self.app = app
        self.register_bytes = register_bytes

    def limit_for(self, path: str) -> int:
        if path.startswith("/api/registers/"):
            return self.register_bytes
        if path.startswith(("/api/cases/", "/api/records/")) and path.endswith(("/evidence", "/files")):
            return EVIDENCE_BODY_BYTES
        if path == "/api/schools/import":
            return SCHOOL_LIST_BYTES
        return JSON_BODY_BYTES

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(too_large(limit))
            return dict(message)

        await self.app(scope, counted, send)


def too_large(limit: int) -> str:
    return t("body_too_large", limit=_size(limit))


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


async def _refuse(send: Any, limit: int) -> None:
    body = json.dumps({"exit": 2, "message": too_large(limit), "code": "body_too_large"}, ensure_ascii=False)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})
