"""Reading Temporal history JSON as an attacker with the raw history would."""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any


def decoded_payloads(history_json: str) -> bytes:
    """Every base64 `data` field of a history decoded: payloads are base64 in history JSON, so a
    plaintext payload would be invisible to a search of the JSON text itself."""
    found: list[bytes] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "data" and isinstance(value, str):
                    with contextlib.suppress(ValueError):
                        found.append(base64.b64decode(value, validate=True))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(history_json))
    return b"\n".join(found)
