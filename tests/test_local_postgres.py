"""The local stack's PostgreSQL asks every role for its password, and a cluster an earlier `up`
made with trust auth is given passwords at the next one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest

from starter import local_postgres
from starter.ports import LOOPBACK, free_port


def test_a_trust_cluster_of_an_earlier_up_asks_for_passwords_after_the_next(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)  # the cluster may run as the embedded-postgres system user
    pgdata = tmp_path / "postgres"
    account = local_postgres.service_account()
    local_postgres.init_cluster(pgdata, account)  # as an earlier version did: trust
    assert local_postgres.uses_trust(pgdata)
    port = free_port()
    server = subprocess.Popen(
        local_postgres.server_command(pgdata, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=account.preexec if account else None,
    )
    try:
        local_postgres.wait_ready(port, 60, alive=lambda: server.poll() is None)
        password = local_postgres.role_password(tmp_path, local_postgres.SUPERUSER, create=True)
        assert password is not None
        assert (tmp_path / "postgres-postgres.password").stat().st_mode & 0o777 == 0o600
        local_postgres.require_passwords(pgdata, port, password)
        assert not local_postgres.uses_trust(pgdata)
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(host=LOOPBACK, port=port, user="postgres", dbname="postgres", connect_timeout=5)
        with psycopg.connect(host=LOOPBACK, port=port, user="postgres", password=password, dbname="postgres") as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.terminate()
        server.wait(30)
