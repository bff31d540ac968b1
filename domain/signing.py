"""Signatures the workflow checks (docs/architecture.md, "Signed steps and signed trust changes").

- An officer's step: Ed25519 over (case, step, the case's sequence number it was signed for,
  time, digest of the fields exactly as the officer's client serialised them). Binding the
  sequence number means a captured step is refused once the case has moved.
- A change of who may act on a case (the officer registry, the chain): Ed25519 by the server's
  own service key, whose public half the case received at start. A party with raw Temporal
  access cannot replace the trust root.

Pure and deterministic (verification only needs public keys), so workflows may use it.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field

from domain.actors import Chain
from domain.enums import Role
from domain.wire import canonical_json, step_message

__all__ = ["step_message"]

MAX_CLOCK_SKEW = dt.timedelta(minutes=5)
UNSIGNED_FIELDS = frozenset({"signature", "signed_at", "signed_fields", "signed_at_text", "expected_seq"})


class OfficerKey(BaseModel):
    """One entry of the registry snapshot a case holds: who may sign, in which role. An empty
    public key is a revoked one."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: Role
    township: str | None = None
    public_key: str
    id: int | None = None
    school: str | None = None
    """A school officer's school: they may act only on the cases it reported."""


def registry_key(officer_id: int | None, name: str) -> str:
    """How a case's registry is keyed: the officer's stable id (names are not unique)."""
    return f"#{officer_id}" if officer_id is not None else name


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


ADDED_AFTER_SIGNING = frozenset(
    {
        "assigned_officer_id",
        "section_chief_id",
        "office_head_id",
        "group_leader_id",
        "first_due_at",
        "school",
        "home_delivery",
        "hours",
        "transfer_within",
        "receipt_within",
        "transfer",
        "whereabouts_unknown",
        "provisional",
        "exclusion_check",
        "exclusion_sample",
    }
)
"""Fields added after the server first signed what holds them (a case's start and the state it
resumes from, a chain): left out of the signed message while unset (None, or False for a flag), so
that what was signed before them still verifies when a newer worker replays it."""


def without_unset_additions(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: without_unset_additions(item)
            for key, item in value.items()
            if not ((item is None or item is False) and key in ADDED_AFTER_SIGNING)
        }
    if isinstance(value, list):
        return [without_unset_additions(item) for item in value]
    return value


class ServiceSigned(BaseModel):
    """Base of the signals only the server may send: signed by its service key, ordered by time."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    issued_at: dt.datetime
    signature: str = ""

    def body(self) -> dict[str, Any]:
        return without_unset_additions(self.model_dump(mode="json", exclude={"signature"}))

    def message(self) -> bytes:
        return f"baoxue-service/1|{type(self).__name__}|{canonical_json(self.body())}".encode()

    def signed_with(self, key: Ed25519PrivateKey) -> Self:
        return self.model_copy(update={"signature": sign(key, self.message())})

    def valid_for(self, case_id: str, service_key: str | None) -> bool:
        if not service_key or self.case_id != case_id:
            return False
        return verify(service_key, self.message(), self.signature)


class RegistryUpdate(ServiceSigned):
    """Officers to add or replace in the case's registry (an empty public key revokes)."""

    officers: dict[str, OfficerKey] = Field(default_factory=dict)


class ChainUpdate(ServiceSigned):
    """The township's chain after a roster reload."""

    chain: Chain


class TransferTarget(ServiceSigned):
    """The township a case is about to be transferred to, as the server resolved it: its chain
    (with ids), its group, and its officers (who may then answer the request)."""

    township: str
    group: int
    chain: Chain
    officers: dict[str, OfficerKey] = Field(default_factory=dict)


class ReopenRequest(ServiceSigned):
    """A closed case found again (discovery): open it as its next episode."""

    reason: str = "discovery"


class MergeTarget(ServiceSigned):
    """The case a provisional case is about to be identified into: the same child's case of the
    same kind under the ID number the officer gave (found by the server, which alone sees IDs)."""

    into_case_id: str
    into_case_no: str
    into_township: str


class MergeIn(ServiceSigned):
    """A provisional case of the same child was identified into this one and closed: its number,
    township and how far it had come (its stage and plan), for this case to take on if further."""

    from_case_no: str
    from_township: str
    stage: str
    arrangement: str | None = None
    arrangement_until: dt.date | None = None
    sessions_per_month: int | None = None
    whereabouts_unknown: bool = False
