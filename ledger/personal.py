"""Personal fields at rest: AES-256-GCM for names, ID numbers and free text; a keyed HMAC of
the normalised ID as the child key (a plain hash of an 18-digit ID is brute-forced in minutes)."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12
_VERSION = b"\x01"


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"baoxue/" + purpose).derive(master)


def event_context(case_id: object, seq: int) -> str:
    """The associated data of a case event's encrypted details: a blob moved to another row fails."""
    return f"event:{case_id}:{seq}"


class PersonalDataCipher:
    def __init__(self, master_key: bytes) -> None:
        self._aead = AESGCM(_derive(master_key, b"columns"))
        hmac_key = _derive(master_key, b"child-key")
        self._hmac_inner = hashlib.sha256(bytes(b ^ 0x36 for b in hmac_key.ljust(64, b"\0")))
        self._hmac_outer = hashlib.sha256(bytes(b ^ 0x5C for b in hmac_key.ljust(64, b"\0")))

    def child_key(self, normalised_id_number: str) -> str:
        """HMAC-SHA256 (RFC 2104) with the key's pads hashed once: registers key 100,000s of rows."""
        inner = self._hmac_inner.copy()
        inner.update(normalised_id_number.encode())
        outer = self._hmac_outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def encrypt(self, text: str, *, context: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, text.encode(), context.encode())

    def decrypt(self, blob: bytes, *, context: str) -> str:
        nonce, sealed = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        return self._aead.decrypt(nonce, sealed, context.encode()).decode()

    def encrypt_json(self, value: dict[str, Any], *, context: str) -> bytes:
        return self.encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True), context=context)

    def decrypt_json(self, blob: bytes | None, *, context: str) -> dict[str, Any]:
        return json.loads(self.decrypt(blob, context=context)) if blob else {}
