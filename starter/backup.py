"""`baoxue backup` and `baoxue restore` (docs/deploy.md, "Backup and restore"): a consistent,
online snapshot of the ledger (PostgreSQL's custom dump format, one transaction's view) and, on the
local stack, of Temporal's SQLite (SQLite's online backup API), with a manifest of what it holds;
and its restoration onto an empty data dir with the keys the operator kept apart.

The keys are never in a backup: the manifest names the key files it needs and their fingerprints
(SHA-256 of the files), so a restore with other keys is refused before anything is written."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from config.settings import Settings
from domain.beijing import beijing_iso
from domain.messages import t
from starter.errors import BadInput, CliError
from starter.register_files import file_digest

MANIFEST = "manifest.json"
LEDGER_DUMP = "ledger.dump"
TEMPORAL_COPY = "temporal.db"
KEY_FILES = ("secret.key", "codec-keys.json", "service.key")
"""What a restore needs beside the backup, by the names `up` gives them in a data dir: the data
key (every name and ID number), the codec keyring (every Temporal payload), the service key."""
COUNTED = ("cases", "case_events", "students", "officers", "notifications", "register_rows", "audit_log")
Say = Callable[[str], None]


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def key_paths(settings: Settings) -> dict[str, Path]:
    from config.payload_codec import keyring_path
    from config.service_key import service_key_path

    return {"secret.key": settings.data_key_file, "codec-keys.json": keyring_path(settings),
            "service.key": service_key_path(settings)}  # fmt: skip


def _pg_env(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without its password, and the password in the environment (never in argv)."""
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    netloc = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username or ""
    return f"postgresql://{user}@{netloc}{parts.path}", env


def _tool(name: str) -> str:
    from starter.local_postgres import bin_dir

    return str(bin_dir() / name)


def backup(settings: Settings, out: Path, say: Say) -> dict[str, Any]:
    """The snapshot, verified, and its manifest; refused into a folder that holds anything."""
    from config.local_stack import database_url

    if out.exists() and any(out.iterdir()):
        raise BadInput(t("backup_out_not_empty", path=str(out)))
    keys = key_paths(settings)
    missing = [name for name, path in keys.items() if not path.exists()]
    if missing:
        raise BadInput(t("backup_keys_missing", files="、".join(missing)))
    url = database_url(settings)
    _check_data_key(settings, url)
    out.mkdir(parents=True, exist_ok=True)
    say(t("backup_ledger"))
    target, env = _pg_env(url)
    done = subprocess.run(
        [_tool("pg_dump"), "--format=custom", f"--file={out / LEDGER_DUMP}", f"--dbname={target}"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise CliError(t("backup_failed", what="pg_dump", detail=done.stderr.strip().splitlines()[-1:]))
    files = {LEDGER_DUMP: out / LEDGER_DUMP}
    temporal_db = settings.data_dir / "temporal" / "temporal.db"
    if not settings.database_url and temporal_db.exists():
        say(t("backup_temporal"))
        _sqlite_copy(temporal_db, out / TEMPORAL_COPY, say)
        files[TEMPORAL_COPY] = out / TEMPORAL_COPY
    say(t("backup_verifying"))
    manifest = {
        "at": beijing_iso(dt.datetime.now(dt.UTC)),
        "baoxue": _version(),
        "migration_head": _scalar(url, "SELECT version_num FROM alembic_version"),
        "counts": {table: int(_scalar(url, f"SELECT count(*) FROM {table}") or 0) for table in COUNTED},
        "files": {name: {"sha256": file_digest(path), "bytes": path.stat().st_size} for name, path in files.items()},
        "keys": {name: fingerprint(path) for name, path in keys.items()},
        "temporal": "sqlite" if TEMPORAL_COPY in files else "not_in_backup",
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    verify_backup(out)
    return manifest


def _version() -> str:
    from importlib.metadata import version

    return version("baoxue")


def _scalar(url: str, sql: str) -> Any:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None


def _check_data_key(settings: Settings, url: str) -> None:
    """The data key in use reads the ledger's personal data (a student's encrypted name): else a
    backup would be kept with keys that cannot open it."""
    import psycopg

    from config.secrets import load_data_keys
    from ledger.personal import PersonalDataCipher

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute("SELECT child_key, name_enc FROM students WHERE length(name_enc) > 0 LIMIT 1").fetchone()
    if row is None:
        return
    try:
        PersonalDataCipher(load_data_keys(settings)).decrypt(row[1], context=f"student:{row[0]}:name")
    except Exception:
        raise CliError(t("backup_key_mismatch", file=str(settings.data_key_file))) from None


def _sqlite_copy(source: Path, target: Path, say: Say) -> None:
    """SQLite's online backup: a consistent copy while the dev server writes, page by page."""
    shown = {"last": -1}

    def progress(_status: int, remaining: int, total: int) -> None:
        percent = 100 * (total - remaining) // max(total, 1)
        if percent // 25 != shown["last"]:
            shown["last"] = percent // 25
            say(t("backup_pages", done=total - remaining, total=total, percent=percent))

    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=4096, progress=progress)
    finally:
        dst.close()
        src.close()


def verify_backup(folder: Path) -> dict[str, Any]:
    """The manifest's files are there with their checksums, the dump lists, the SQLite copy is
    sound; else the one line of what is wrong (exit 1)."""
    manifest = read_manifest(folder)
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.exists() or file_digest(path) != expected["sha256"]:
            raise CliError(t("backup_corrupt", file=name))
    listed = subprocess.run([_tool("pg_restore"), "--list", str(folder / LEDGER_DUMP)], capture_output=True)
    if listed.returncode != 0:
        raise CliError(t("backup_corrupt", file=LEDGER_DUMP))
    if TEMPORAL_COPY in manifest["files"]:
        with sqlite3.connect(f"file:{folder / TEMPORAL_COPY}?mode=ro", uri=True) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise CliError(t("backup_corrupt", file=TEMPORAL_COPY))
    return manifest


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((folder / MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        raise BadInput(t("backup_not_a_backup", path=str(folder))) from None


@dataclass(frozen=True)
class Restored:
    data_dir: Path
    manifest: dict[str, Any]


def restore(folder: Path, data_dir: Path, keys_dir: Path, say: Say) -> Restored:
    """Onto an empty data dir: the keys checked against the manifest (the names of those that do
    not match), the backup verified, then the keys, Temporal's copy and a new PostgreSQL cluster
    holding the ledger. `baoxue up --data-dir` serves it."""
    manifest = read_manifest(folder)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BadInput(t("restore_not_empty", path=str(data_dir)))
    wrong = [
        name
        for name, expected in manifest["keys"].items()
        if not (keys_dir / name).is_file() or fingerprint(keys_dir / name) != expected
    ]
    if wrong:
        raise BadInput(t("restore_keys_mismatch", files="、".join(wrong), keys=str(keys_dir)))
    verify_backup(folder)
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in manifest["keys"]:
        shutil.copyfile(keys_dir / name, data_dir / name)
        (data_dir / name).chmod(0o600)
    if TEMPORAL_COPY in manifest["files"]:
        say(t("restore_temporal"))
        (data_dir / "temporal").mkdir()
        shutil.copyfile(folder / TEMPORAL_COPY, data_dir / "temporal" / "temporal.db")
    say(t("restore_ledger"))
    _restore_ledger(folder / LEDGER_DUMP, data_dir)
    return Restored(data_dir=data_dir, manifest=manifest)


def _restore_ledger(dump: Path, data_dir: Path) -> None:
    """A new cluster in the data dir (as `up` makes one), the app role, the dump loaded whole in
    one transaction; the server stopped again."""
    from config.local_stack import OWNER
    from migrations.roles import APP_ROLE
    from starter import local_postgres
    from starter.ports import free_port

    owner_password = local_postgres.role_password(data_dir, OWNER, create=True)
    app_password = local_postgres.role_password(data_dir, APP_ROLE, create=True)
    assert owner_password is not None and app_password is not None
    account = local_postgres.service_account()
    pgdata = data_dir / "postgres"
    local_postgres.init_cluster(pgdata, account, owner_password)
    port = free_port()
    (data_dir / "logs").mkdir(exist_ok=True)
    with (data_dir / "logs" / "postgres-restore.log").open("ab") as log:
        server = subprocess.Popen(
            local_postgres.server_command(pgdata, port), stdout=log, stderr=log,
            preexec_fn=account.preexec if account else None,
        )  # fmt: skip
    try:
        local_postgres.wait_ready(port, timeout=60, password=owner_password)
        local_postgres.ensure_database(port, password=owner_password)
        url = local_postgres.server_url(port, password=owner_password)
        import psycopg

        with psycopg.connect(local_postgres.server_url(port, database="postgres", password=owner_password),
                             autocommit=True) as conn:  # fmt: skip
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone():
                conn.execute(f'CREATE ROLE "{APP_ROLE}" LOGIN')
        target, env = _pg_env(url)
        done = subprocess.run(
            [_tool("pg_restore"), "--single-transaction", "--exit-on-error", "--no-owner", f"--role={OWNER}",
             f"--dbname={target}", str(dump)],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            raise CliError(t("backup_failed", what="pg_restore", detail=done.stderr.strip().splitlines()[-1:]))
        local_postgres.set_role_password(port, owner_password, APP_ROLE, app_password)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(60)
