"""Health checks shared by `baoxue up` and `baoxue status`."""

from __future__ import annotations

import asyncio
import datetime as dt
import urllib.request

import psycopg
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from ledger.db import libpq_url

POLLER_FRESH_FOR = dt.timedelta(seconds=90)


async def temporal_ok(client: Client) -> bool:
    try:
        return await asyncio.wait_for(client.service_client.check_health(), timeout=5)
    except Exception:
        return False


async def worker_polling(client: Client, task_queue: str) -> bool:
    """A worker long-polls the workflow task queue; its last poll must be recent."""
    try:
        response = await asyncio.wait_for(
            client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=client.namespace,
                    task_queue=TaskQueue(name=task_queue),
                    task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                )
            ),
            timeout=5,
        )
    except Exception:
        return False
    now = dt.datetime.now(dt.UTC)
    return any(now - p.last_access_time.ToDatetime(tzinfo=dt.UTC) < POLLER_FRESH_FOR for p in response.pollers)


def database_ok(url: str) -> bool:
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def api_ok(url: str | None) -> bool:
    """The API server answers its health route."""
    if not url:
        return False
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/api/health", timeout=3) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False
