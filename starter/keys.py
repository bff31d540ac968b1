"""Officers' signing keys (Ed25519): private keys in the officer's CLI profile (mode 0600) or a
key file, public keys in the officer registry; and signing a step before it is sent."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from pathlib import Path
from typing import TypeVar

import platformdirs
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy.orm import Session

from config.settings import Settings
from domain.roster import Roster
from domain.signing import public_key_of, sign, signing_message
from domain.steps import StepInput
from ledger.officers import set_public_key

Step = TypeVar("Step", bound=StepInput)
ROLE_ORDER = ("section_chief", "office_head", "group_leader")


def profile_file(settings: Settings) -> Path:
    folder = settings.profile_dir or Path(platformdirs.user_config_dir("baoxue"))
    return folder / "keys.json"


def _encode(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())).decode()


def _decode(text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text.strip()))


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _profile(settings: Settings) -> dict[str, str]:
    path = profile_file(settings)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def private_key(settings: Settings, name: str) -> Ed25519PrivateKey | None:
    if settings.key_file is not None and settings.key_file.exists():
        return _decode(settings.key_file.read_text(encoding="utf-8"))
    stored = _profile(settings).get(name)
    return _decode(stored) if stored else None


def issue_key(settings: Settings, name: str, *, key_file: Path | None = None) -> str:
    """A new key pair for an officer; the private key to their key file or profile; returns the public key."""
    key = Ed25519PrivateKey.generate()
    if key_file is not None:
        _write_private(key_file, _encode(key))
    else:
        profile = _profile(settings)
        profile[name] = _encode(key)
        _write_private(profile_file(settings), json.dumps(profile, ensure_ascii=False, indent=2))
    return public_key_of(key)


def ensure_roster_keys(settings: Settings, session: Session, roster: Roster) -> int:
    """On the local stack every person of the roster has a key in the local profile and in the
    registry, so one person can act in any role on one machine. Returns how many were issued."""
    profile = _profile(settings)
    issued = 0
    for name, roles in roster.people().items():
        role = next(r for r in ROLE_ORDER if r in roles)
        if name in profile:
            public = public_key_of(_decode(profile[name]))
        else:
            public = issue_key(settings, name)
            issued += 1
        set_public_key(session, name=name, role=role, township=None, public_key=public)
    return issued


def signed(settings: Settings, case_id: str, step_name: str, step: Step) -> Step:
    """The step with its signature over (case, step, payload digest, time), if the actor has a key."""
    key = private_key(settings, step.actor.name)
    if key is None:
        return step
    at = dt.datetime.now(dt.UTC)
    return step.model_copy(
        update={"signed_at": at, "signature": sign(key, signing_message(case_id, step_name, step, at))}
    )
