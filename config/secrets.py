"""The data key that encrypts personal columns and keys the child HMAC.

From BAOXUE_SECRET_KEY (64 hex digits) or a key file (BAOXUE_SECRET_KEY_FILE, by default
`secret.key` in the data dir). Only `baoxue up` creates one (mode 0600), for its local stack: a
host without the key must refuse to start, never make a second one (the same child would get a
second dedup key and a second case).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from config.settings import Settings

KEY_BYTES = 32


class SecretKeyError(ValueError):
    pass


def _parse(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise SecretKeyError(f"{where}: not hexadecimal") from None
    if len(key) != KEY_BYTES:
        raise SecretKeyError(f"{where}: needs {KEY_BYTES * 2} hex digits")
    return key


def create_key_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex() + "\n")
    return key


def _parse_many(text: str, where: str) -> list[bytes]:
    """One key a line (a file) or comma-separated (the environment), oldest first."""
    parts = [part for part in text.replace(",", "\n").split() if part.strip()]
    if not parts:
        raise SecretKeyError(f"{where}: empty")
    return [_parse(part, where) for part in parts]


def load_data_keys(settings: Settings) -> list[bytes]:
    """Every data key, oldest first: the newest seals new data, the first keys the child key."""
    if settings.secret_key is not None:
        return _parse_many(settings.secret_key.get_secret_value(), "BAOXUE_SECRET_KEY")
    path = settings.data_key_file
    if not path.exists():
        raise SecretKeyError(f"{path}: no key file")
    return _parse_many(path.read_text(), str(path))


def rotate_data_key(settings: Settings) -> tuple[int, str | None]:
    """A new newest data key: appended to the key file (returns its number and None), or, for a
    key from the environment, the new value to set (its number and the value)."""
    keys = load_data_keys(settings)
    new = secrets.token_bytes(KEY_BYTES)
    if settings.secret_key is not None:
        return len(keys) + 1, ",".join(key.hex() for key in [*keys, new])
    path = settings.data_key_file
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("".join(key.hex() + "\n" for key in [*keys, new]))
    os.replace(tmp, path)
    return len(keys) + 1, None


def load_data_key(settings: Settings, *, create: bool = False) -> bytes:
    if settings.secret_key is not None or settings.data_key_file.exists():
        return load_data_keys(settings)[0]
    path = settings.data_key_file
    if not create:
        raise SecretKeyError(f"{path}: no key file")
    try:
        return create_key_file(path)
    except FileExistsError:
        return _parse(path.read_text(), str(path))
