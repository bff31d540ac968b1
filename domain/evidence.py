"""佐证资料: which files a step may carry. The type is read from the content, never the name: a
photo is a JPEG or PNG, a scanned document a PDF (docs/architecture.md, "Evidence"). Standard
library only: the officer's client checks its files with it."""

from __future__ import annotations

import hashlib

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)


def media_type_of(data: bytes) -> str | None:
    """The file's type by its first bytes, or None when it is not a JPEG, PNG or PDF."""
    for magic, media_type in _SIGNATURES:
        if data.startswith(magic):
            return media_type
    return None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def evidence_context(case_id: object, digest: str) -> str:
    """The associated data of an evidence file's ciphertext: moved to another case it fails."""
    return f"evidence:{case_id}:{digest}"
