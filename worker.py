"""The worker: builds the Temporal client, registers workflows and activities, runs until SIGTERM.

`baoxue worker` and `python worker.py` are the same entry point.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import structlog
from temporalio.worker import CustomSlotSupplier, FixedSizeSlotSupplier, Worker, WorkerTuner

from activities.registry import ActivitySet, build_activities
from config.collector import CPYTHON_YOUNG, full_collections, tune_collector
from config.local_stack import database_url
from config.logging import configure_logging
from config.preflight import unusable_setting
from config.required_keys import EXIT_MISSING_KEY, missing_key
from config.secrets import load_data_keys
from config.service_key import trusted_service_keys
from config.settings import Settings, load_settings
from config.temporal_client import connect_temporal
from workflows.case import trust_service_keys
from workflows.registry import ALL_WORKFLOWS, workflow_runner
from workflows.task_slots import StickyFirstSlots

log = structlog.get_logger("baoxue.worker")


def activities_for(settings: Settings, *, url: str | None = None) -> ActivitySet:
    """The activities, built from the settings (the worker is the one place that reads them)."""
    return build_activities(
        database_url=url or database_url(settings),
        data_keys=load_data_keys(settings),
        slots=settings.worker_activity_slots,
        timeouts=settings.database_timeouts,
    )


LOCAL_ACTIVITY_SLOTS = 100
"""The SDK's default: local activities one worker runs at once (they queue for the activity threads)."""


def worker_tuner(settings: Settings) -> WorkerTuner:
    """The worker's slots: activities and local activities as fixed counts, workflow tasks with
    `BAOXUE_WORKER_STICKY_SLOTS` of them kept for the sticky queue."""
    workflow_slots: FixedSizeSlotSupplier | CustomSlotSupplier = FixedSizeSlotSupplier(settings.worker_workflow_slots)
    if 0 < settings.worker_sticky_slots < settings.worker_workflow_slots:
        workflow_slots = StickyFirstSlots(settings.worker_workflow_slots, settings.worker_sticky_slots)
    return WorkerTuner.create_composite(
        workflow_supplier=workflow_slots,
        activity_supplier=FixedSizeSlotSupplier(settings.worker_activity_slots),
        local_activity_supplier=FixedSizeSlotSupplier(LOCAL_ACTIVITY_SLOTS),
        nexus_supplier=FixedSizeSlotSupplier(1),
    )


async def run_worker(settings: Settings) -> None:
    trust_service_keys(trusted_service_keys(settings))
    client = await connect_temporal(settings)
    built = activities_for(settings)
    worker = Worker(
        client,
        task_queue=settings.task_queue,
        workflows=ALL_WORKFLOWS,
        workflow_runner=workflow_runner(sandboxed=settings.worker_sandbox),
        activities=built.activities,
        activity_executor=built.executor,
        tuner=worker_tuner(settings),
        max_cached_workflows=settings.worker_max_cached_workflows,
    )
    tune_collector(young=CPYTHON_YOUNG, full_collection_seconds=settings.full_collection_seconds)
    collecting = (
        asyncio.create_task(full_collections(settings.full_collection_seconds))
        if settings.full_collection_seconds > 0
        else None
    )
    loop = asyncio.get_running_loop()
    stopping: set[asyncio.Task[None]] = set()

    def stop(sig: int) -> None:
        stopping.add(_shutdown(worker, sig))

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop, sig)
    log.info("worker_started", task_queue=settings.task_queue, namespace=client.namespace)
    try:
        await worker.run()
    finally:
        if collecting is not None:
            collecting.cancel()
        built.close()
        log.info("worker_stopped")


def _shutdown(worker: Worker, sig: int) -> asyncio.Task[None]:
    """Stop polling and let running tasks finish (the SDK's graceful shutdown)."""
    log.info("worker_stopping", signal=signal.Signals(sig).name)
    return asyncio.ensure_future(worker.shutdown())


def start_worker(settings: Settings) -> int:
    """Run until stopped; 2 at once, naming the setting, when a key the worker needs is missing."""
    problem = missing_key(settings, service_key=False) or unusable_setting(settings)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_MISSING_KEY
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(run_worker(settings))
    return 0


def main() -> None:
    code = start_worker(load_settings())
    sys.stdout.flush()
    sys.stderr.flush()
    # The Temporal runtime's threads can abort interpreter finalisation (sdk-python#300); the
    # worker has shut down gracefully by now, so leave without it.
    os._exit(code)


if __name__ == "__main__":
    main()
