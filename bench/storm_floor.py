"""The storm's floor (issue 29): N workflows of a reminder's shape on the same Temporal server,
PostgreSQL and kind of sink — each asleep until one moment, then one local activity writing one
row and handing one message to a `json://` sink — with a worker of the same slots as baoxue's and
the SDK's unsandboxed runner (which baoxue's wraps only to free an evicted case at once), in this
process. Seconds from the moment until the sink has all N: baoxue's `escalations_10k_s` is
measured the same way, so `storm_ratio` = floor ÷ baoxue. One difference stands: the floor's N
wake at one moment, while a campaign's clearance deadline spreads its cases' wakes over three
minutes by case (docs/architecture.md, "The case"), so baoxue's figure is never below ~180 s
however fast the machine, and where the machine keeps up with the spread the ratio exceeds 1."""

from __future__ import annotations

import asyncio
import datetime as dt
import http.server
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.cpu import CpuMeter
from bench.floor_workflow import REMIND_ACTIVITY, StormFloorWorkflow
from bench.stack import BenchStack, Sink, free_port

SLOTS = 16
"""baoxue's worker's activity slots (BAOXUE_WORKER_ACTIVITY_SLOTS, default 16)."""
STARTS_AT_ONCE = 32


class FloorSink(Sink):
    """The floor's own count, apart from baoxue's sink."""

    received = 0
    lock = threading.Lock()


async def storm_floor(stack: BenchStack, n: int, start_rate: float) -> dict[str, Any]:
    import psycopg
    from temporalio import activity
    from temporalio.client import Client
    from temporalio.worker import UnsandboxedWorkflowRunner, Worker

    from activities.notify import apprise_send

    sink = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), FloorSink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    sink_url = f"json://127.0.0.1:{sink.server_address[1]}/floor"
    url = stack.owner_url()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_storm_floor (id bigserial PRIMARY KEY, n int, at timestamptz)")
    local = threading.local()

    @activity.defn(name=REMIND_ACTIVITY)
    def remind(row: int) -> None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = psycopg.connect(url, autocommit=True)
        conn.execute("INSERT INTO bench_storm_floor (n, at) VALUES (%s, now())", (row,))
        ok, error = apprise_send([sink_url], "控辍保学催办", f"测速 {row}")
        if not ok:
            raise RuntimeError(error)

    state = stack.state()
    client = await Client.connect(state["temporal"]["address"], namespace=state["temporal"]["namespace"])
    wake_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=n / start_rate + 60)
    gate = asyncio.Semaphore(STARTS_AT_ONCE)
    run_id = int(time.time())

    async def start(i: int) -> None:
        async with gate:
            await client.start_workflow(
                StormFloorWorkflow.run,
                args=[i, wake_at],
                id=f"bench-storm-floor-{run_id}-{i}",
                task_queue="bench-storm",
            )

    with ThreadPoolExecutor(SLOTS) as executor:
        async with Worker(
            client,
            task_queue="bench-storm",
            workflows=[StormFloorWorkflow],
            activities=[remind],
            activity_executor=executor,
            max_concurrent_activities=SLOTS,
            workflow_runner=UnsandboxedWorkflowRunner(),
        ):
            begun = time.perf_counter()
            await asyncio.gather(*(start(i) for i in range(n)))
            starting_s = time.perf_counter() - begun
            if dt.datetime.now(dt.UTC) >= wake_at:
                raise SystemExit(f"the storm floor's {n} starts took {starting_s:.0f} s, past its wake time")
            await asyncio.sleep(max(0.0, (wake_at - dt.datetime.now(dt.UTC)).total_seconds()))
            meter = CpuMeter(state)
            meter.start()
            while FloorSink.received < n and (dt.datetime.now(dt.UTC) - wake_at).total_seconds() < 1800:
                await asyncio.sleep(1)
            floor_s = (dt.datetime.now(dt.UTC) - wake_at).total_seconds()
            cpu = meter.stop(floor_s)
    sink.shutdown()
    return {
        "storm_floor_s": floor_s,
        "storm_floor_received": FloorSink.received,
        "storm_floor_starting_s": starting_s,
        "storm_floor_cpu": cpu,
    }
