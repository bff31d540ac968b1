"""The worker's workflow task slots keep some for its sticky queue (workflows/task_slots.py)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

import pytest

from workflows.task_slots import StickyFirstSlots


@dataclass
class Poll:
    is_sticky: bool
    slot_type: str = "workflow"


@dataclass
class Release:
    permit: Any
    slot_info: Any = None


async def test_the_shared_queue_never_takes_the_slots_kept_for_the_sticky_queue() -> None:
    slots = StickyFirstSlots(3, 1)
    shared = [await slots.reserve_slot(Poll(False)) for _ in range(2)]
    third = asyncio.ensure_future(slots.reserve_slot(Poll(False)))
    await asyncio.sleep(0.05)
    assert not third.done() and slots.try_reserve_slot(Poll(False)) is None
    sticky = await asyncio.wait_for(slots.reserve_slot(Poll(True)), 1)
    assert slots.taken == (3, 2)
    assert slots.try_reserve_slot(Poll(True)) is None  # all taken
    releasing = threading.Thread(target=slots.release_slot, args=(Release(shared[0]),))  # as the SDK's threads do
    releasing.start()
    releasing.join()
    await asyncio.wait_for(third, 1)
    assert slots.taken == (3, 2)
    slots.release_slot(Release(sticky))
    assert slots.taken == (2, 2) and slots.try_reserve_slot(Poll(False)) is None
    assert slots.try_reserve_slot(Poll(True)) is not None


def test_keeping_every_slot_for_the_sticky_queue_is_refused() -> None:
    with pytest.raises(ValueError):
        StickyFirstSlots(10, 10)
