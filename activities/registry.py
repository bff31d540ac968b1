"""Every activity the worker runs, built once with its database sessions. What it is built from
(the database's URL, the data keys, how many slots) is handed in by the worker: activities read
no settings of their own."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from activities.digests import DigestActivities
from activities.ledger import LedgerActivities
from activities.notify import NotifyActivities
from activities.orders import OrderActivities
from activities.rechecks import RecheckActivities
from domain.database_timeouts import DatabaseTimeouts
from ledger.db import make_engine, make_sessionmaker
from ledger.personal import PersonalDataCipher


@dataclass
class ActivitySet:
    activities: list[Callable[..., Any]]
    executor: ThreadPoolExecutor
    close: Callable[[], None]


def build_activities(
    *, database_url: str, data_keys: list[bytes], slots: int, timeouts: DatabaseTimeouts | None = None
) -> ActivitySet:
    """Sized together: one thread and one database connection for each activity slot the worker
    takes (`BAOXUE_WORKER_ACTIVITY_SLOTS`), so a burst waits in Temporal's queue, not on a pool."""
    engine = make_engine(database_url, timeouts, pool_size=slots, max_overflow=2, pool_timeout=30)
    sessions = make_sessionmaker(engine)
    ledger = LedgerActivities(sessions, PersonalDataCipher(data_keys))
    notify = NotifyActivities(sessions)
    rechecks = RecheckActivities(sessions)
    orders = OrderActivities(sessions)
    digests = DigestActivities(sessions)
    executor = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="baoxue-activity")

    def close() -> None:
        executor.shutdown(wait=False)
        engine.dispose()

    return ActivitySet(
        activities=[
            ledger.project_case,
            ledger.project_and_deliver,
            ledger.ledger_last_seq,
            notify.deliver_escalation,
            rechecks.recheck_remind,
            rechecks.attendance_imported_since,
            rechecks.late_schools,
            rechecks.unchecked_schools,
            orders.order_remind,
            digests.send_digest,
        ],
        executor=executor,
        close=close,
    )
