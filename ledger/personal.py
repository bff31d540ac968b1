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
from pydantic_core import to_json

_NONCE_BYTES = 12
_SHA256_BLOCK = 64


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"baoxue/" + purpose).derive(master)


def event_context(case_id: object, seq: int) -> str:
    """The associated data of a case event's encrypted details: a blob moved to another row fails."""
    return f"event:{case_id}:{seq}"


class PersonalDataCipher:
    """Data keys oldest first: new blobs are sealed with the newest, whose number (1, 2, …) is the
    blob's first byte, so every older blob stays readable after a rotation. The child key is
    always keyed by the first key: a child keeps one key across rotations (docs/security.md)."""

    def __init__(self, master_keys: bytes | list[bytes]) -> None:
        keys = [master_keys] if isinstance(master_keys, bytes) else list(master_keys)
        if not 1 <= len(keys) <= 255:
            raise ValueError("between 1 and 255 data keys")
        self._aeads = [AESGCM(_derive(key, b"columns")) for key in keys]
        hmac_key = _derive(keys[0], b"child-key").ljust(_SHA256_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in hmac_key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in hmac_key))
        self._seal_key = _derive(keys[0], b"ledger-seal")

    def seal(self, text: str) -> str:
        """HMAC-SHA256 under a key the database does not hold (derived from the first data key):
        what links the audit chain and seals each officer's row, so that the database's owner
        cannot rewrite either and recompute the links (docs/security.md, "Below the API")."""
        return hmac.new(self._seal_key, text.encode(), hashlib.sha256).hexdigest()

    def child_key(self, normalised_id_number: str) -> str:
        """HMAC-SHA256 of the normalised ID (RFC 2104), from SHA-256 states keyed once: copying
        two hash states costs half of what `hmac.HMAC.copy` does, and registers key 100,000s of
        rows (a test holds it to `hmac.new`)."""
        inner = self._inner.copy()
        inner.update(normalised_id_number.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def child_keys(self, normalised_id_numbers: list[str]) -> list[str]:
        return list(map(self.child_key, normalised_id_numbers))

    def encrypt(self, text: str, *, context: str) -> bytes:
        return self.encrypt_bytes(text.encode(), context=context)

    def decrypt(self, blob: bytes, *, context: str) -> str:
        return self.decrypt_bytes(blob, context=context).decode()

    def encrypt_bytes(self, data: bytes, *, context: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        version = bytes([len(self._aeads)])
        return version + nonce + self._aeads[-1].encrypt(nonce, data, context.encode())

    def decrypt_bytes(self, blob: bytes, *, context: str) -> bytes:
        nonce, sealed = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        return self._aeads[blob[0] - 1].decrypt(nonce, sealed, context.encode())

    def encrypt_json(self, value: Any, *, context: str) -> bytes:
        """Serialised by pydantic-core (Rust, UTF-8, keys in the dict's order): faster than
        `json.dumps` on a register's blocks of rows."""
        return self.encrypt_bytes(to_json(value), context=context)

    def decrypt_json(self, blob: bytes | None, *, context: str) -> dict[str, Any]:
        return json.loads(self.decrypt(blob, context=context)) if blob else {}
