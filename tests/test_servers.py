"""The pip-installed Temporal servers and PostgreSQL run: nothing is downloaded."""

from __future__ import annotations

import uuid

from sqlalchemy import inspect
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ledger.db import make_engine
from ledger.migrate import current_revision
from tests.support.hello import HelloWorkflow, SleepyWorkflow


async def test_dev_server_runs_a_workflow(dev_env: WorkflowEnvironment) -> None:
    queue = f"hello-{uuid.uuid4()}"
    async with Worker(dev_env.client, task_queue=queue, workflows=[HelloWorkflow]):
        result = await dev_env.client.execute_workflow(
            HelloWorkflow.run, "保学", id=f"hello-{uuid.uuid4()}", task_queue=queue
        )
    assert result == "你好，保学"


async def test_time_skipping_server_skips_three_days(skipping_env: WorkflowEnvironment) -> None:
    queue = f"sleepy-{uuid.uuid4()}"
    async with Worker(skipping_env.client, task_queue=queue, workflows=[SleepyWorkflow]):
        before = await skipping_env.get_current_time()
        result = await skipping_env.client.execute_workflow(
            SleepyWorkflow.run, id=f"sleepy-{uuid.uuid4()}", task_queue=queue
        )
        after = await skipping_env.get_current_time()
    assert result == "woke"
    assert (after - before).days >= 3


def test_postgres_migrated_to_head(database_url: str) -> None:
    assert current_revision(database_url) is not None
    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"officers", "campaigns", "students", "cases", "case_events"} <= tables
