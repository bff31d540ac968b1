"""Personal fields at rest: AES-256-GCM for names, ID numbers and free text; a keyed HMAC of
the normalised ID as the child key (a plain hash of an 18-digit ID is brute-forced in minutes)."""

from __future__ import annotations

import hashlib
import hmac
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


class PersonalDataCipher:
    def __init__(self, master_key: bytes) -> None:
        self._aead = AESGCM(_derive(master_key, b"columns"))
        self._hmac_key = _derive(master_key, b"child-key")

    def child_key(self, normalised_id_number: str) -> str:
        return hmac.new(self._hmac_key, normalised_id_number.encode(), hashlib.sha256).hexdigest()

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
