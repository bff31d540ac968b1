"""`baoxue up` end to end: healthy, one per data dir, a dead worker restarted, nothing left behind."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from config.local_stack import pid_alive
from tests.support.stack import running_stack, start_stack, stop_stack, wait_healthy, wait_until
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

pytestmark = pytest.mark.stack


def test_up_status_restart_and_clean_stop(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with running_stack(data_dir) as stack:
        status = stack.baoxue("status", "--json").json()
        assert status["healthy"] is True
        assert status["data_dir"] == str(data_dir)
        assert status["temporal"]["ok"] and status["database"]["ok"] and status["worker"]["ok"]
        assert status["api"]["ok"] and status["api"]["url"] == stack.api_url()
        assert status["database"]["url"].startswith("postgresql://")
        for service in ("temporal", "database", "worker", "api"):
            assert pid_alive(status[service]["pid"])
        import psycopg

        with psycopg.connect(stack.owner_url()) as conn:
            assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)

        again = stack.baoxue("up", "--data-dir", str(data_dir), "--port", str(stack.port + 1))
        assert again.code == 2
        assert str(stack.proc.pid) in again.stderr

        assert stack.baoxue("db", "upgrade").code == 0
        registered = asyncio.run(_search_attributes(status["temporal"]["address"]))
        assert asyncio.run(_retention_days(status["temporal"]["address"])) == 30
        assert {key.name for key in ALL_SEARCH_ATTRIBUTES} <= registered

        extra_worker = subprocess.Popen(
            [sys.executable, "-m", "worker"],
            env={
                **stack.env,
                "BAOXUE_TEMPORAL_ADDRESS": status["temporal"]["address"],
                "BAOXUE_DATABASE_URL": stack.owner_url(),
            },
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(3)
        assert extra_worker.poll() is None
        extra_worker.send_signal(signal.SIGTERM)
        assert extra_worker.wait(30) == 0
        assert "worker_stopped" in extra_worker.stderr.read()

        old_worker = status["worker"]["pid"]
        os.kill(old_worker, signal.SIGKILL)
        assert wait_until(lambda: stack.state()["worker"]["pid"] != old_worker, 20)
        assert pid_alive(stack.state()["worker"]["pid"])
        assert wait_healthy(stack, 60)["healthy"]
        old_api = status["api"]["pid"]
        os.kill(old_api, signal.SIGKILL)
        assert not stack.baoxue("status", "--json").json()["healthy"]
        assert wait_until(lambda: stack.state()["api"]["pid"] != old_api, 20)
        assert wait_healthy(stack, 60)["healthy"]

        children = stack.descendants()
        assert children
    stack.proc.wait(30)
    assert stack.proc.returncode == 0
    assert wait_until(lambda: not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children), 10)
    assert not (data_dir / "state.json").exists()
    unhealthy = stack.baoxue("status", "--json")
    assert unhealthy.code == 1
    assert unhealthy.json()["healthy"] is False


async def _search_attributes(address: str) -> set[str]:
    client = await Client.connect(address)
    listed = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace="default"))
    return set(listed.custom_attributes)


async def _retention_days(address: str) -> float:
    client = await Client.connect(address)
    described = await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace="default"))
    return described.config.workflow_execution_retention_ttl.ToTimedelta().total_seconds() / 86400


def test_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        stack = start_stack(tmp_path / "data", port=port)
        try:
            assert stack.proc.wait(60) == 2
        finally:
            stop_stack(stack)
    log = (tmp_path / "data-up.log").read_text()
    assert str(port) in log and "--port" in log


def test_existing_data_dir_restarts_fast(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with running_stack(data_dir):
        pass
    stack = start_stack(data_dir)
    try:
        status = wait_healthy(stack, 30)
        assert status["healthy"], status
    finally:
        stop_stack(stack)
