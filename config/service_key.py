"""The server's own Ed25519 service key: it signs every change of who may act on a case
(docs/architecture.md, "Signed steps and signed trust changes"). Only `baoxue up` creates one, for the local stack."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from config.settings import Settings
from domain.signing import public_key_of


class ServiceKeyError(ValueError):
    pass


def service_key_path(settings: Settings) -> Path:
    return settings.service_key_file or settings.data_dir / "service.key"


def load_service_key(settings: Settings, *, create: bool = False) -> Ed25519PrivateKey:
    if settings.service_key is not None:
        return _parse(settings.service_key.get_secret_value(), "BAOXUE_SERVICE_KEY")
    path = service_key_path(settings)
    if path.exists():
        return _parse(path.read_text(encoding="utf-8"), str(path))
    if not create:
        raise ServiceKeyError(f"{path}: no service key (BAOXUE_SERVICE_KEY_FILE)")
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())).decode())
    return key


def trusted_service_keys(settings: Settings) -> list[str]:
    """The service keys (public halves, base64) whose seals a worker's cases accept:
    `BAOXUE_SERVICE_PUBLIC_KEY` (comma-separated, for a rotation), else the public half of the
    service key this host holds (the local stack's workers)."""
    if settings.service_public_key:
        keys = [key.strip() for key in settings.service_public_key.split(",") if key.strip()]
        for key in keys:
            try:
                Ed25519PublicKey.from_public_bytes(base64.b64decode(key, validate=True))
            except ValueError:
                raise ServiceKeyError(
                    f"BAOXUE_SERVICE_PUBLIC_KEY: {key[:12]}… is not a base64 Ed25519 public key"
                ) from None
        return keys
    return [public_key_of(load_service_key(settings))]


def _parse(text: str, where: str) -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text.strip(), validate=True))
    except ValueError:
        raise ServiceKeyError(f"{where}: not a base64 Ed25519 private key") from None
