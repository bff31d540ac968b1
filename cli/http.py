"""Signed HTTP requests to the server (docs/security.md, "Signed requests"). Standard library
`http.client`, one connection per command, kept alive between its requests."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from cli.errors import EXIT_FAILED, ClientError
from domain.messages import current_lang, t
from domain.profile import Identity
from domain.wire import (
    HEADER_LANG,
    HEADER_NONCE,
    HEADER_NOTICE,
    HEADER_OFFICER,
    HEADER_SIGNATURE,
    HEADER_TIME,
    request_message,
)

TIMEOUT_SECONDS = 60.0
"""How long a command waits for the server's answer: a step is answered within 15 seconds, a read
within a few (docs/cli.md, "Exit codes")."""
LONG_SECONDS = 900.0
"""For the administrator's whole-county work (import, discovery, verify, retention, a roster
reload) and uploads."""


class Server:
    def __init__(self, url: str, identity: Identity | None) -> None:
        self.url = url.rstrip("/")
        self.identity = identity
        parts = urlsplit(self.url)
        self._secure = parts.scheme == "https"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._conn: http.client.HTTPConnection | None = None
        self.server_timing: str | None = None
        """The last answer's Server-Timing header (bench/ reads the server's own time)."""
        self.notices: list[str] = []
        """Codes of what the server said beside its answers (HEADER_NOTICE), for the reader."""

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self._secure:
                self._conn = http.client.HTTPSConnection(self._host, self._port, timeout=TIMEOUT_SECONDS)
            else:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=TIMEOUT_SECONDS)
        return self._conn

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        raw: bytes | None = None,
        signed: bool = True,
        timeout: float = TIMEOUT_SECONDS,
    ) -> Any:
        """Send one request; the answer's JSON, or a ClientError with the server's line and exit code."""
        clean = {k: v for k, v in (query or {}).items() if v is not None and v is not False}
        target = self._prefix + path + ("?" + urlencode(clean, doseq=True) if clean else "")
        payload = raw if raw is not None else (b"" if body is None else json.dumps(body, ensure_ascii=False).encode())
        headers = {HEADER_LANG: current_lang(), "Content-Type": "application/json"}
        if raw is not None:
            headers["Content-Type"] = "application/octet-stream"
        reused = self._conn is not None
        try:
            response, data = self._exchange(method, target, payload, headers, signed, timeout)
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected) as error:
            # A kept-alive connection the server closed while idle: once more on a fresh one. A
            # retried step is signed anew and bound to the case's sequence number, so a step that
            # did arrive the first time is recognised as done.
            self.close()
            if not reused:
                raise ClientError(t("server_unreachable", url=self.url, reason=type(error).__name__)) from None
            try:
                response, data = self._exchange(method, target, payload, headers, signed, timeout)
            except (OSError, http.client.HTTPException) as again:
                self.close()
                raise ClientError(t("server_unreachable", url=self.url, reason=type(again).__name__)) from None
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise ClientError(t("server_unreachable", url=self.url, reason=type(error).__name__)) from None
        try:
            answer = json.loads(data) if data else None
        except ValueError:
            answer = None
        notice = response.getheader(HEADER_NOTICE)
        if notice and notice not in self.notices:
            self.notices.append(notice)
        if response.status >= 400:
            if isinstance(answer, dict) and "message" in answer:
                raise ClientError(str(answer["message"]), int(answer.get("exit", EXIT_FAILED)), answer.get("code"))
            raise ClientError(t("server_unreachable", url=self.url, reason=f"HTTP {response.status}"))
        return answer

    def _exchange(
        self, method: str, target: str, payload: bytes, headers: dict[str, str], signed: bool, timeout: float
    ) -> tuple[http.client.HTTPResponse, bytes]:
        """One request and its answer, signed afresh (a nonce is good once)."""
        if signed:
            headers = {**headers, **self._signature(method, target, payload)}
        conn = self._connection()
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        conn.request(method, target, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
        self.server_timing = response.getheader("server-timing")
        return response, data

    def _signature(self, method: str, target: str, payload: bytes) -> dict[str, str]:
        from cli.errors import not_signed_in

        if self.identity is None:
            raise not_signed_in(t("not_signed_in"))
        at = dt.datetime.now(dt.UTC).isoformat()
        nonce = secrets.token_hex(16)
        officer = str(self.identity.id)
        message = request_message(method, target, payload, at, nonce, officer)
        signature = sign_text(self.identity, message)
        return {HEADER_OFFICER: officer, HEADER_TIME: at, HEADER_NONCE: nonce, HEADER_SIGNATURE: signature}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def sign_text(identity: Identity, message: bytes) -> str:
    import base64

    return base64.b64encode(identity.signing_key().sign(message)).decode()
