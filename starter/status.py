"""`baoxue status`: Temporal, PostgreSQL and a polling worker, for the local stack or a cluster."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

from config.campaign_files import builtin_campaigns
from config.local_stack import database_url, pid_alive, read_state
from config.settings import Settings
from config.temporal_client import connect_temporal
from ledger.db import masked_url
from starter.health import api_ok, database_ok, temporal_ok, worker_polling


def _live(pid: int | None) -> int | None:
    return pid if pid_alive(pid) else None


async def _temporal_and_worker(settings: Settings, address: str | None, task_queue: str) -> tuple[bool, bool]:
    if not address:
        return False, False
    try:
        client = await asyncio.wait_for(connect_temporal(settings, address=address), timeout=5)
    except Exception:
        return False, False
    ok = await temporal_ok(client)
    return ok, ok and await worker_polling(client, task_queue)


def collect_status(settings: Settings) -> dict[str, Any]:
    state = None if settings.temporal_address and settings.database_url else read_state(settings.data_dir)
    address = settings.temporal_address or (state.temporal.address if state else None)
    namespace = settings.temporal_namespace if settings.temporal_address or not state else state.temporal.namespace
    url = settings.database_url.get_secret_value() if settings.database_url else (state.database.url if state else None)
    task_queue = settings.task_queue
    local = settings.model_copy(update={"temporal_namespace": namespace})
    temporal_up, worker_up = asyncio.run(_temporal_and_worker(local, address, task_queue))
    db_up = database_ok(database_url(settings)) if url else False  # with the owner's password, when readable
    from_up = state is not None
    api_url = state.api.url if state and state.api else f"http://{settings.api_host}:{settings.api_port}"
    api_up = api_ok(api_url)
    return {
        "healthy": temporal_up and worker_up and db_up and api_up,
        "calendar_notes": calendar_notes(settings),
        "data_dir": str(settings.data_dir.expanduser().resolve()),
        "temporal": {
            "address": address,
            "namespace": namespace,
            "ui": state.temporal.ui if state and not settings.temporal_address else None,
            "ok": temporal_up,
            "pid": _live(state.temporal.pid) if state is not None and not settings.temporal_address else None,
        },
        "database": {
            "url": (url if from_up and not settings.database_url else masked_url(url)) if url else None,
            "ok": db_up,
            "pid": _live(state.database.pid) if state is not None and not settings.database_url else None,
        },
        "worker": {
            "task_queue": task_queue,
            "ok": worker_up,
            "pid": _live(state.worker.pid) if state is not None else None,
        },
        "api": {
            "url": api_url,
            "ok": api_up,
            "pid": _live(state.api.pid) if state and state.api else None,
        },
    }


def calendar_notes(settings: Settings) -> list[str]:
    """A line for each open shipped campaign that spans a year whose holidays nobody knows."""
    from starter.case_service import calendar_note

    now = dt.datetime.now(dt.UTC)
    specs = builtin_campaigns(settings.campaigns_dir)
    return [note for spec in specs if spec.clearance_deadline > now and (note := calendar_note(spec))]


def wait_for_health(settings: Settings, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        status = collect_status(settings)
        if status["healthy"] or time.monotonic() >= deadline:
            return status
        time.sleep(1.0)
