"""Workflow task slots that keep some for the worker's sticky queue.

A worker reserves a slot before it polls. Through a deadline storm every slot can be held by a
wake of a case the worker does not have cached (those come from the shared queue), and the
worker then stops polling its sticky queue, where an officer's step on a cached case waits:
Temporal moves it to the shared queue after ten seconds, behind the storm (README,
"Benchmarks"). `StickyFirstSlots` lets the shared queue's polls hold at most `slots - reserved`
slots; a sticky poll may take any.
"""

from __future__ import annotations

import asyncio
import threading

from temporalio.worker import (
    CustomSlotSupplier,
    SlotMarkUsedContext,
    SlotPermit,
    SlotReleaseContext,
    SlotReserveContext,
)


class _Permit(SlotPermit):
    def __init__(self, sticky: bool) -> None:
        self.sticky = sticky


class StickyFirstSlots(CustomSlotSupplier):
    """`slots` workflow task slots, `reserved` of them only for sticky polls. Reserving runs on
    the worker's event loop; releasing may come from the SDK's own threads, hence the lock and
    the thread-safe wake-up."""

    def __init__(self, slots: int, reserved: int) -> None:
        if not 0 <= reserved < slots:
            raise ValueError("reserved must be at least 0 and fewer than slots")
        self._slots = slots
        self._shared = slots - reserved
        self._lock = threading.Lock()
        self._taken = 0
        self._taken_shared = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._freed: asyncio.Event | None = None

    @property
    def taken(self) -> tuple[int, int]:
        """(slots taken, of them by shared-queue polls)."""
        with self._lock:
            return self._taken, self._taken_shared

    def _take(self, sticky: bool) -> bool:
        with self._lock:
            if self._taken >= self._slots or (not sticky and self._taken_shared >= self._shared):
                return False
            self._taken += 1
            self._taken_shared += not sticky
            return True

    async def reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit:
        if self._freed is None:
            self._loop, self._freed = asyncio.get_running_loop(), asyncio.Event()
        while not self._take(ctx.is_sticky):
            self._freed.clear()
            if self._take(ctx.is_sticky):  # freed between the attempt and the clear
                break
            await self._freed.wait()
        return _Permit(ctx.is_sticky)

    def try_reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit | None:
        return _Permit(ctx.is_sticky) if self._take(ctx.is_sticky) else None

    def mark_slot_used(self, ctx: SlotMarkUsedContext) -> None:
        pass

    def release_slot(self, ctx: SlotReleaseContext) -> None:
        sticky = getattr(ctx.permit, "sticky", True)
        with self._lock:
            self._taken -= 1
            self._taken_shared -= not sticky
        if self._loop is not None and self._freed is not None:
            self._loop.call_soon_threadsafe(self._freed.set)
