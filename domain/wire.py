"""How the client and the server serialise what is signed: one canonical JSON text, one digest.

Standard library only: the officer's client imports this on every command.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


HEADER_OFFICER = "X-Baoxue-Officer"
HEADER_TIME = "X-Baoxue-Time"
HEADER_NONCE = "X-Baoxue-Nonce"
HEADER_SIGNATURE = "X-Baoxue-Signature"
HEADER_LANG = "X-Baoxue-Lang"
HEADER_NOTICE = "X-Baoxue-Notice"
"""A message code the server adds beside an answer for the person reading it (domain/messages.py):
`admin_sees_no_cases` when an administrator lists cases, a report or a ledger."""


def request_message(method: str, target: str, body: bytes, at: str, nonce: str, officer_id: str) -> bytes:
    """What a client signs for one HTTP request: method, path with query, body digest, time, nonce."""
    return f"baoxue-request/1|{method.upper()}|{target}|{digest(body)}|{at}|{nonce}|{officer_id}".encode()


def dashboard_link_message(officer_id: str, at: str, nonce: str) -> bytes:
    """What a client signs for a one-time dashboard sign-in link."""
    return f"baoxue-dashboard/1|{officer_id}|{at}|{nonce}".encode()


def step_message(case_id: str, step_name: str, expected_seq: int, signed_at: str, fields_text: str) -> bytes:
    """What an officer signs for one step; `signed_at` is the ISO text exactly as sent."""
    return f"baoxue-step/2|{case_id}|{step_name}|{expected_seq}|{signed_at}|{digest(fields_text)}".encode()
