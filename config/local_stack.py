"""The local stack's state file: how every command finds what `baoxue up` started."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

import psutil
from pydantic import BaseModel

from config.settings import Settings

STATE_FILE_NAME = "state.json"


class ServiceState(BaseModel):
    pid: int | None = None


class TemporalState(ServiceState):
    address: str
    ui: str | None = None
    namespace: str = "default"


class DatabaseState(ServiceState):
    url: str


class WorkerState(ServiceState):
    task_queue: str


class ApiState(ServiceState):
    url: str


class StackState(BaseModel):
    """Written by `baoxue up` into the data dir; removed when it stops."""

    up_pid: int
    data_dir: str
    temporal: TemporalState
    database: DatabaseState
    worker: WorkerState
    api: ApiState | None = None


def state_path(data_dir: Path) -> Path:
    return data_dir / STATE_FILE_NAME


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def read_state(data_dir: Path) -> StackState | None:
    """The running stack's state, or None when no `up` is alive for this data dir."""
    path = state_path(data_dir)
    try:
        state = StackState.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if pid_alive(state.up_pid) else None


def write_state(data_dir: Path, state: StackState) -> None:
    """Mode 0600; it holds no credential (the database's passwords are files of their own)."""
    path = state_path(data_dir)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(state.model_dump(), ensure_ascii=False, indent=2))
    os.replace(tmp, path)


def remove_state(data_dir: Path) -> None:
    state_path(data_dir).unlink(missing_ok=True)


class StackNotRunningError(RuntimeError):
    def __init__(self, data_dir: Path, what: str) -> None:
        super().__init__(what)
        self.data_dir = data_dir
        self.what = what


def temporal_address(settings: Settings) -> str:
    if settings.temporal_address:
        return settings.temporal_address
    state = read_state(settings.data_dir)
    if state is None:
        raise StackNotRunningError(settings.data_dir, "temporal")
    return state.temporal.address


def temporal_namespace(settings: Settings) -> str:
    if settings.temporal_address:
        return settings.temporal_namespace
    state = read_state(settings.data_dir)
    return state.temporal.namespace if state else settings.temporal_namespace


def password_file(data_dir: Path, role: str) -> Path:
    """Where the local stack keeps a database role's password (mode 0600; starter/local_postgres.py)."""
    return data_dir / f"postgres-{role}.password"


def read_password(data_dir: Path, role: str) -> str | None:
    """The role's password, or None when there is none or this user may not read it."""
    try:
        return password_file(data_dir, role).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def url_as(url: str, role: str, password: str | None) -> str:
    """The state file's database URL (which names no password) as `role`, with its password."""
    place = url.removeprefix("postgresql://").partition("@")[2]
    secret = f":{quote(password, safe='')}" if password else ""
    return f"postgresql://{role}{secret}@{place}"


def database_url(settings: Settings) -> str:
    """`BAOXUE_DATABASE_URL`, or the local stack's database as its owner, with the owner's password
    when this user can read it (without, PostgreSQL refuses the connection)."""
    if settings.database_url:
        return settings.database_url.get_secret_value()
    state = read_state(settings.data_dir)
    if state is None:
        raise StackNotRunningError(settings.data_dir, "database")
    return url_as(state.database.url, OWNER, read_password(settings.data_dir, OWNER))


OWNER = "postgres"
"""The local stack's database owner (migrations, host commands)."""
