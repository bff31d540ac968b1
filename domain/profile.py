"""The officer's profile (its format is shared: the client reads it, `up` writes the local
stack's identities into it): their identities (one private key each, made on this machine, never
sent), the server each belongs to, and which one acts by default.

`BAOXUE_PROFILE_DIR` (default: the user's config dir) holds `profile.json`, mode 0600 in a 0700
folder. `--as NAME` / BAOXUE_ACTOR chooses among the identities held here, nothing else.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from domain.failure import EXIT_NOT_SIGNED_IN, Failure
from domain.messages import t

PROFILE_FILE = "profile.json"


class NoIdentity(Failure):
    """No identity held here may act (exit 5, as a key the server refuses)."""

    exit_code = EXIT_NOT_SIGNED_IN


@dataclass(frozen=True)
class Identity:
    id: int
    name: str
    role: str
    township: str | None
    server: str
    private_key: str

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.township}" if self.township else self.name

    def signing_key(self) -> Any:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(self.private_key))

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "township": self.township, "server": self.server, "id": self.id}


def profile_dir() -> Path:
    configured = os.environ.get("BAOXUE_PROFILE_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "baoxue"


def new_private_key() -> tuple[str, str]:
    """A fresh Ed25519 key pair: (private, public), both base64."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

    key = Ed25519PrivateKey.generate()
    private = base64.b64encode(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())).decode()
    public = base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    return private, public


def normal_server(url: str) -> str:
    return url.strip().rstrip("/")


class Profile:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or profile_dir()
        self.path = self.folder / PROFILE_FILE
        data = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
        self.default: str | None = data.get("default")
        self.identities = [Identity(**entry) for entry in data.get("identities", [])]

    @staticmethod
    def key_of(identity: Identity) -> str:
        return f"{identity.id}@{identity.server}"

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.folder, 0o700)
        text = json.dumps(
            {"default": self.default, "identities": [asdict(i) for i in self.identities]}, ensure_ascii=False, indent=2
        )
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, self.path)

    def add(self, identity: Identity, *, make_default: bool) -> None:
        """Keep one identity per officer and server: a new enrolment replaces the old key."""
        key = self.key_of(identity)
        self.identities = [i for i in self.identities if self.key_of(i) != key] + [identity]
        if make_default or self.default is None or not self.find_key(self.default):
            self.default = key

    def remove(self, identity: Identity) -> None:
        key = self.key_of(identity)
        self.identities = [i for i in self.identities if self.key_of(i) != key]
        if self.default == key:
            self.default = self.key_of(self.identities[0]) if self.identities else None

    def find_key(self, key: str) -> Identity | None:
        return next((i for i in self.identities if self.key_of(i) == key), None)

    def choose(self, wanted: str | None, server: str | None) -> Identity:
        """The identity that acts: `--as` among those held here (on the server in use), else the default."""
        held = [i for i in self.identities if server is None or i.server == normal_server(server)]
        if not wanted:
            chosen = self.find_key(self.default) if self.default else None
            if chosen is None or (server is not None and chosen.server != normal_server(server)):
                chosen = held[0] if len(held) == 1 else None
            if chosen is None:
                raise NoIdentity(t("not_signed_in"))
            return chosen
        text = wanted.strip()
        name, sep, township = text.partition("@")
        digits = text.removeprefix("#")
        if digits.isdigit():
            found = [i for i in held if i.id == int(digits)]
        elif sep:
            found = [i for i in held if i.name == name.strip() and (i.township or "").startswith(township.strip())]
        else:
            found = [i for i in held if i.name == text]
        if not found:
            raise NoIdentity(t("identity_not_here", name=text))
        if len(found) > 1:
            raise NoIdentity(t("identity_ambiguous", name=text, candidates="、".join(i.ref for i in found)))
        return found[0]
