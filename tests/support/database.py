"""A real PostgreSQL for tests: a fresh database on BAOXUE_DATABASE_URL's server when set,
otherwise an embedded server started in a temporary directory."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from alembic import command
from sqlalchemy.engine import make_url

from ledger.db import sqlalchemy_url
from ledger.migrate import alembic_config, upgrade_to_head
from starter import local_postgres
from starter.children import Child
from starter.ports import free_port


def _admin_conninfo(url: str, database: str) -> str:
    parsed = make_url(sqlalchemy_url(url)).set(drivername="postgresql", database=database)
    return parsed.render_as_string(hide_password=False)


@contextlib.contextmanager
def embedded_server(workdir: Path) -> Iterator[str]:
    """Yield the URL of the `postgres` database on a new embedded server."""
    account = local_postgres.service_account()
    pgdata = workdir / "pgdata"
    local_postgres.init_cluster(pgdata, account)
    port = free_port()
    child = Child(
        "PostgreSQL",
        local_postgres.server_command(pgdata, port),
        workdir / "postgres.log",
        run_as=account.preexec if account else None,
    )
    child.start()
    try:
        local_postgres.wait_ready(port, timeout=60, alive=child.alive)
        yield local_postgres.server_url(port, "postgres")
    finally:
        child.stop()


@contextlib.contextmanager
def fresh_database(server_url: str, revision: str = "head") -> Iterator[str]:
    """A new database on the server, migrated to `revision`; dropped afterwards."""
    name = f"baoxue_test_{uuid.uuid4().hex[:10]}"
    admin = _admin_conninfo(server_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(sqlalchemy_url(server_url)).set(database=name).render_as_string(hide_password=False)
    try:
        if revision == "head":
            upgrade_to_head(url)
        else:
            command.upgrade(alembic_config(url), revision)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def postgres_server(workdir: Path) -> Iterator[str]:
    external = os.environ.get("BAOXUE_DATABASE_URL")
    if external:
        yield external
    else:
        with embedded_server(workdir) as url:
            yield url
