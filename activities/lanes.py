"""Two lanes of activity threads, so that an officer's step never queues behind a storm.

A case writes its events to the ledger in local activities, and the SDK hands every local
activity (up to the worker's hundred at once) to the one activity executor, whose threads take
them first come, first served. Through a deadline storm that queue is full of the storm's
escalations — each written, then posted to its recipients (`project_and_deliver`) — and the
projection of an officer's step, which the officer's request waits for, waited behind them
(docs/architecture.md, "The worker"). `LanedExecutor` runs the activities named in `fast` on
threads of their own and everything else as before. It stays a ThreadPoolExecutor: the SDK runs
sync activities in threads only on one (anything else it treats as another process)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from temporalio import activity

STEP_ACTIVITIES = frozenset({"project_case", "ledger_last_seq"})
"""What a case does on an officer's step: write the step (and, when the ledger is found ahead,
ask its last number). A storm's wakes run `project_and_deliver` and `deliver_escalation`."""
STEP_THREADS = 4


def activity_type(args: Iterable[object]) -> str | None:
    """The type of the activity a submission runs: the SDK passes its `activity.Info` among the
    first arguments (after the context's `run` and the SDK's own wrapper)."""
    for arg in list(args)[:3]:
        if isinstance(arg, activity.Info):
            return arg.activity_type
    return None


class LanedExecutor(ThreadPoolExecutor):
    def __init__(
        self, max_workers: int, *, fast: frozenset[str], fast_workers: int, thread_name_prefix: str = ""
    ) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self.fast = fast
        self.fast_lane = ThreadPoolExecutor(max_workers=fast_workers, thread_name_prefix=f"{thread_name_prefix}-step")
        self.fast_taken = 0
        """How many submissions the fast lane took (for tests and benchmarks)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if activity_type(args) in self.fast:
            self.fast_taken += 1
            return self.fast_lane.submit(fn, *args, **kwargs)
        return super().submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.fast_lane.shutdown(wait, cancel_futures=cancel_futures)
        super().shutdown(wait, cancel_futures=cancel_futures)
