"""Which server a command talks to and which of the profile's identities signs for it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cli.errors import ClientError
from cli.http import Server
from domain.messages import t
from domain.profile import Identity, Profile, normal_server


@dataclass
class Invocation:
    """The global options of one command: `--data-dir` (to find the local stack) and `--as`."""

    data_dir: Path | None = None
    actor: str | None = None

    def acting(self, actor: str | None) -> Invocation:
        """A command's own `--as` wins over the one given before the command and BAOXUE_ACTOR."""
        if actor:
            self.actor = actor
        return self


def local_stack_url(data_dir: Path | None) -> str | None:
    """The API of a running `baoxue up` on this machine, from its state file."""
    folder = data_dir or Path(os.environ.get("BAOXUE_DATA_DIR") or ".baoxue")
    try:
        state = json.loads((folder.expanduser() / "state.json").read_text(encoding="utf-8"))
        return state["api"]["url"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def configured_server() -> str | None:
    explicit = os.environ.get("BAOXUE_SERVER")
    return normal_server(explicit) if explicit else None


def signed_server(invocation: Invocation) -> Server:
    """The server, and the identity that signs: `--as` / BAOXUE_ACTOR among the profile's, else its
    default. The server: BAOXUE_SERVER, else the identity's own, else the local stack's."""
    explicit = configured_server()
    identity: Identity = Profile().choose(invocation.actor or os.environ.get("BAOXUE_ACTOR"), explicit)
    return Server(explicit or identity.server, identity)


def unsigned_server(invocation: Invocation, url: str | None = None) -> Server:
    chosen = url or configured_server() or local_stack_url(invocation.data_dir)
    if not chosen:
        raise ClientError(t("no_server"), 2)
    return Server(normal_server(chosen), None)
