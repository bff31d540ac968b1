"""Every activity the worker runs, built once with its database sessions."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from activities.ledger import LedgerActivities
from activities.notify import NotifyActivities
from activities.rechecks import RecheckActivities
from config.local_stack import database_url
from config.secrets import load_data_keys
from config.settings import Settings
from ledger.db import make_engine, make_sessionmaker
from ledger.personal import PersonalDataCipher


@dataclass
class ActivitySet:
    activities: list[Callable[..., Any]]
    executor: ThreadPoolExecutor
    close: Callable[[], None]


def build_activities(settings: Settings, *, url: str | None = None) -> ActivitySet:
    """Sized together: one thread and one database connection for each activity slot the worker
    takes (`BAOXUE_WORKER_ACTIVITY_SLOTS`), so a burst waits in Temporal's queue, not on a pool."""
    slots = settings.worker_activity_slots
    engine = make_engine(url or database_url(settings), pool_size=slots, max_overflow=2, pool_timeout=30)
    sessions = make_sessionmaker(engine)
    ledger = LedgerActivities(sessions, PersonalDataCipher(load_data_keys(settings)))
    notify = NotifyActivities(sessions)
    rechecks = RecheckActivities(sessions)
    executor = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="baoxue-activity")

    def close() -> None:
        executor.shutdown(wait=False)
        engine.dispose()

    return ActivitySet(
        activities=[
            ledger.project_case,
            notify.deliver_escalation,
            rechecks.recheck_remind,
            rechecks.attendance_imported_since,
        ],
        executor=executor,
        close=close,
    )
