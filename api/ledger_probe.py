"""Whether the ledger answers, asked so that the asking never waits: one ping at a time on a
thread of its own, given under a second. While PostgreSQL is frozen, `/api/health` still answers
at once and says the ledger is unavailable."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import text

from starter.context import Context

PING_SECONDS = 0.8


class LedgerProbe:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-probe")
        self._pending: Future[None] | None = None

    def _ping(self) -> None:
        with self._ctx.sessions() as session:
            session.execute(text("SELECT 1"))

    async def answers(self) -> bool:
        """True when a `SELECT 1` came back within PING_SECONDS; a ping still stuck from before
        means no."""
        if self._pending is not None and not self._pending.done():
            return False
        self._pending = self._thread.submit(self._ping)
        try:
            await asyncio.wait_for(asyncio.wrap_future(self._pending), PING_SECONDS)
        except Exception:  # a timeout, or any error the database gave: either way, not answering
            return False
        return True
