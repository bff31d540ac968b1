"""Encrypting everything that crosses Temporal: AES-256-GCM with a keyring.

Each encrypted payload names the key that sealed it (metadata `encryption-key-id`); a new key
can be added and made active at any time, and payloads sealed with older keys stay readable.
Decode fails closed: a payload that is not sealed under the keyring (plain JSON a raw Temporal
client sent, or a key the keyring does not hold) is refused with `UnsealedPayloadError`, so the
worker's task fails and the case never sees it (docs/security.md, "Below the API"). Only the codec
server, which shows histories to people, passes such payloads through as they are. Failure
messages and stack traces are moved into encoded attributes, so they are encrypted too.

The keyring is JSON, `{"active": "k1", "keys": {"k1": "<64 hex digits>"}}`, from
BAOXUE_CODEC_KEYS or the file BAOXUE_CODEC_KEY_FILE (default `codec-keys.json` in the data
dir, created with mode 0600 by `baoxue up` on first run).
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    PayloadCodec,
)

from config.settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
_NONCE = 12


class KeyringError(ValueError):
    pass


class UnsealedPayloadError(KeyringError):
    """A payload baoxue was asked to read that its keyring did not seal."""


@dataclasses.dataclass(frozen=True)
class Keyring:
    active: str
    keys: dict[str, bytes]

    @classmethod
    def parse(cls, text: str, where: str) -> Keyring:
        try:
            data = json.loads(text)
            keys = {str(k): bytes.fromhex(v) for k, v in data["keys"].items()}
            active = str(data["active"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyringError(f"{where}: not a keyring ({exc})") from None
        if active not in keys or any(len(k) != 32 for k in keys.values()):
            raise KeyringError(f"{where}: the active key must be one of the keys, each 64 hex digits")
        return cls(active, keys)

    def dumps(self) -> str:
        return json.dumps({"active": self.active, "keys": {k: v.hex() for k, v in self.keys.items()}}, indent=2)

    def rotated(self) -> Keyring:
        """A keyring with a new active key; the old ones kept for reading."""
        new_id = f"k{len(self.keys) + 1}"
        while new_id in self.keys:
            new_id += "x"
        return Keyring(new_id, {**self.keys, new_id: secrets.token_bytes(32)})

    @classmethod
    def generate(cls) -> Keyring:
        return cls("k1", {"k1": secrets.token_bytes(32)})


class EncryptionCodec(PayloadCodec):
    def __init__(self, keyring: Keyring, *, strict: bool = True) -> None:
        """`strict=False` only for showing a history (the codec server): unsealed payloads are
        shown as they are instead of refused."""
        self._keyring = keyring
        self._strict = strict
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keyring.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self._keyring.active]
        sealed = []
        for payload in payloads:
            nonce = os.urandom(_NONCE)
            sealed.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID: self._keyring.active.encode()},
                    data=nonce + cipher.encrypt(nonce, payload.SerializeToString(), None),
                )
            )
        return sealed

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        opened = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                if self._strict:
                    encoding = payload.metadata.get("encoding", b"").decode(errors="replace")[:40]
                    raise UnsealedPayloadError(f"a payload not sealed by baoxue's keyring (encoding {encoding!r})")
                opened.append(payload)
                continue
            key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")[:40]
            cipher = self._ciphers.get(key_id)
            if cipher is None:
                raise UnsealedPayloadError(f"a payload sealed with a key the keyring does not hold ({key_id!r})")
            plain = cipher.decrypt(payload.data[:_NONCE], payload.data[_NONCE:], None)
            opened.append(Payload.FromString(plain))
        return opened


def keyring_path(settings: Settings) -> Path:
    return settings.codec_key_file or settings.data_dir / "codec-keys.json"


def write_keyring(path: Path, keyring: Keyring) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(keyring.dumps())
    os.replace(tmp, path)


def load_keyring(settings: Settings, *, create: bool = False) -> Keyring:
    if settings.codec_keys is not None:
        return Keyring.parse(settings.codec_keys.get_secret_value(), "BAOXUE_CODEC_KEYS")
    path = keyring_path(settings)
    if not path.exists():
        if not create:
            raise KeyringError(f"{path}: no codec keyring (baoxue up creates one; or set BAOXUE_CODEC_KEYS)")
        write_keyring(path, Keyring.generate())
    return Keyring.parse(path.read_text(encoding="utf-8"), str(path))


_PYDANTIC_JSON = PydanticJSONPlainPayloadConverter()


class SharedPydanticPayloadConverter(CompositePayloadConverter):
    """temporalio's pydantic payload converter with one JSON converter for the whole process.
    The SDK makes a new payload converter for every workflow activation and every client call;
    the stock one builds a fresh serializer and an empty cache of type adapters each time, so
    every case's input was validated through a `TypeAdapter` built anew (a few percent of the
    worker's time when discovery opens thousands of cases). Its cache is thread-safe."""

    def __init__(self) -> None:
        super().__init__(
            *(
                _PYDANTIC_JSON if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


def encrypted_converter(keyring: Keyring, *, strict: bool = True) -> DataConverter:
    return DataConverter(
        payload_converter_class=SharedPydanticPayloadConverter,
        payload_codec=EncryptionCodec(keyring, strict=strict),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def data_converter(settings: Settings) -> DataConverter:
    return encrypted_converter(load_keyring(settings))
