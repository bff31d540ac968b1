"""Signed officer steps: every update carries an Ed25519 signature over (case, step, payload
digest, time), checked by the workflow against the officer registry it holds.

Pure and deterministic (verification only needs the public key), so workflows may use it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict

from domain.enums import Role

MAX_CLOCK_SKEW = dt.timedelta(minutes=10)
UNSIGNED_FIELDS = {"signature", "signed_at"}


class OfficerKey(BaseModel):
    """One entry of the registry snapshot a case holds: who may sign, in which role."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: Role
    township: str | None = None
    public_key: str


def payload_digest(step: BaseModel) -> str:
    body = step.model_dump(mode="json", exclude=UNSIGNED_FIELDS)
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def signing_message(case_id: str, step_name: str, step: BaseModel, signed_at: dt.datetime) -> bytes:
    return f"baoxue/1|{case_id}|{step_name}|{payload_digest(step)}|{signed_at.isoformat()}".encode()


def sign(private_key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(private_key.sign(message)).decode()


def verify(public_key: str, message: bytes, signature: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key)).verify(base64.b64decode(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def public_key_of(private_key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return base64.b64encode(private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
