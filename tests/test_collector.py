"""A server process's collector (config/collector.py): frozen at start, and in the worker full
collections only when scheduled — a cycle that reached the oldest generation is freed by the
scheduled collection and by nothing else."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from config.collector import CPYTHON_YOUNG, NO_AUTOMATIC_FULL, SERVER_YOUNG, full_collections, tune_collector
from starter.bulk_work import collector_paused


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    (gc.enable if enabled else gc.disable)()


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def _old_cycle() -> weakref.ref[Node]:
    """A two-object cycle moved to the oldest generation, then dropped: only a full collection frees it."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    gc.collect(1)
    gc.collect(1)
    return weakref.ref(a)


def test_full_collections_come_only_when_scheduled(restored_collector: None) -> None:
    tune_collector(young=CPYTHON_YOUNG, full_collection_seconds=60)
    assert gc.get_threshold() == (CPYTHON_YOUNG, 10, NO_AUTOMATIC_FULL)
    assert gc.get_freeze_count() > 0
    cycle = _old_cycle()
    for _ in range(200):  # many young and middle collections: none walks the oldest generation
        gc.collect(1)
    assert cycle() is not None

    async def a_while_of_scheduled_collections() -> None:
        collecting = asyncio.create_task(full_collections(0.05))
        await asyncio.sleep(0.3)
        collecting.cancel()

    asyncio.run(a_while_of_scheduled_collections())
    assert cycle() is None


def test_no_scheduled_collection_while_bulk_work_has_paused_the_collector(restored_collector: None) -> None:
    tune_collector(young=CPYTHON_YOUNG, full_collection_seconds=60)
    cycle = _old_cycle()

    async def collections_during_bulk_work() -> None:
        with collector_paused():
            collecting = asyncio.create_task(full_collections(0.05))
            await asyncio.sleep(0.3)
            assert cycle() is not None
            collecting.cancel()

    asyncio.run(collections_during_bulk_work())


def test_at_zero_seconds_cpython_keeps_its_schedule(restored_collector: None) -> None:
    tune_collector(young=SERVER_YOUNG, full_collection_seconds=0)  # baoxue serve's
    assert gc.get_threshold() == (SERVER_YOUNG, 10, 10)
    assert asyncio.run(asyncio.wait_for(full_collections(0), 1)) is None
