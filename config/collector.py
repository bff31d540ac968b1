"""The garbage collector of the long-running server processes: the worker and `baoxue serve`.

CPython collects its young objects every 700 new ones and every hundredth time walks everything
the process holds, the whole process stopped meanwhile. Two costs follow in a server:

- A report over a county's cases makes some 100,000 short-lived objects; at the default the
  collector walked `baoxue serve`'s long-lived objects several times a request, doubling its
  time (bench/report.py). Its young collections come at 50,000 new objects instead, and what
  it loaded before serving is frozen out of every collection's walk.
- A worker holding a thousand cases has millions of tracked objects. Through a 10,000-case
  deadline storm on two cores a full collection took ~450 ms (574 at most) and came every
  8–10 s on CPython's schedule: one officer's step in twenty arrived during one and waited for
  it — the step's p95. What those collections freed were mostly the cycles of cases evicted from
  the worker's cache (reference counting frees everything else at once). `BAOXUE_FULL_COLLECTION_SECONDS`
  takes the worker's full collections off CPython's schedule and runs one that often instead
  (default 60 s): each took ~900 ms (the cycles of a minute), 1.5 % of the worker's time instead
  of 5 %. Through `bench mixed` a step's p95 fell from 637 to 524 ms and the quiet storm from
  254 to 200 s. The cost was memory: the cycles of a minute's evicted cases waited for the next
  collection (a worker with 10,000 open cases held 389–482 MB instead of 262), until the runner
  broke an evicted case's cycles itself (workflows/eviction.py): 246 MB. What the schedule still
  frees is smaller change — a local activity's context, a statement's bound parameters.

docs/architecture.md, "The worker", gives the measurements."""

from __future__ import annotations

import asyncio
import gc

import structlog

log = structlog.get_logger("baoxue.collector")

CPYTHON_YOUNG = 700
SERVER_YOUNG = 50_000
"""`baoxue serve`'s young generation (a report's short-lived objects)."""
MIDDLE_EVERY = 10
FULL_EVERY = 10
"""CPython's own: a full collection at most every tenth middle one (and a quarter more objects)."""
NO_AUTOMATIC_FULL = 2**30
"""A third threshold no count of middle-generation collections reaches."""


def tune_collector(*, young: int, full_collection_seconds: float) -> None:
    """Freeze what the process has loaded; young collections every `young` new objects; full
    ones only when `full_collections` runs one (or, at 0 seconds, on CPython's schedule)."""
    gc.collect()
    gc.freeze()
    full = NO_AUTOMATIC_FULL if full_collection_seconds > 0 else FULL_EVERY
    gc.set_threshold(young, MIDDLE_EVERY, full)


async def full_collections(seconds: float) -> None:
    """One full collection every `seconds` until cancelled (none at 0); none while bulk work has
    paused the collector (starter.bulk_work), which keeps its millions of live objects out of
    every walk."""
    if seconds <= 0:
        return
    while True:
        await asyncio.sleep(seconds)
        if gc.isenabled():
            log.debug("full_collection", freed=gc.collect())
