"""Whether the ledger answers, asked so that the asking never waits: one ping at a time, given
under a second. While PostgreSQL is frozen, `/api/health` still answers at once and says the
ledger is unavailable.

The ping is one `SELECT 1` on a connection of its own, awaited on the event loop. Through the
pool it took a pre-ping, a BEGIN, the SELECT and a ROLLBACK, each a round trip, on a thread that
had to win the GIL back from the steps' threads after each: on a machine with no core free that,
not PostgreSQL, was most of health's time (docs/architecture.md, "The server's event loop")."""

from __future__ import annotations

import asyncio
import contextlib

import psycopg

from ledger.db import libpq_url
from starter.context import Context

PING_SECONDS = 0.8


class LedgerProbe:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._connection: psycopg.AsyncConnection | None = None
        self._pending: asyncio.Task[None] | None = None

    async def _ping(self) -> None:
        try:
            if self._connection is None or self._connection.closed:
                self._connection = await psycopg.AsyncConnection.connect(
                    libpq_url(self._ctx.database_url()),
                    autocommit=True,
                    connect_timeout=max(1, round(self._ctx.settings.database_timeouts.connect_seconds)),
                )
            await self._connection.execute("SELECT 1")
        except BaseException:
            await self.close()
            raise

    async def answers(self) -> bool:
        """True when a `SELECT 1` came back within PING_SECONDS; a ping still stuck from before
        means no. A ping that outlives its wait goes on; the next one after it reconnects if it
        failed."""
        if self._pending is not None and not self._pending.done():
            return False
        self._pending = asyncio.ensure_future(self._ping())
        self._pending.add_done_callback(_seen)
        try:
            await asyncio.wait_for(asyncio.shield(self._pending), PING_SECONDS)
        except Exception:  # a timeout, or any error the database gave: either way, not answering
            return False
        return True

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()


def _seen(task: asyncio.Task[None]) -> None:
    """A ping that failed after its wait: its error is the answer already given, not news."""
    if not task.cancelled():
        task.exception()
