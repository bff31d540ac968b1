"""The ledger's probe (`/api/health`'s `ledger`) pings on one connection of its own, never the
pool's, and comes back after PostgreSQL drops that connection. (A frozen PostgreSQL, where the
ping hangs and health still answers at once: tests/test_faults.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import event

from api.ledger_probe import LedgerProbe
from config.settings import Settings
from ledger.db import libpq_url
from starter.context import Context


@pytest.fixture
def ctx(database_url: str) -> Iterator[Context]:
    context = Context(Settings(database_url=database_url, secret_key="11" * 32))
    yield context
    context.close()


def backend(probe: LedgerProbe) -> int:
    assert probe._connection is not None
    return probe._connection.info.backend_pid


async def test_the_probe_pings_on_one_connection_of_its_own(ctx: Context) -> None:
    engine = ctx.sessions.kw["bind"]
    checkouts: list[object] = []

    def checked_out(*args: object) -> None:
        checkouts.append(args)

    event.listen(engine, "checkout", checked_out)
    probe = LedgerProbe(ctx)
    try:
        answers = [await probe.answers() for _ in range(5)]
        pids = {backend(probe)}
        answers += [await probe.answers() for _ in range(5)]
        pids.add(backend(probe))
    finally:
        event.remove(engine, "checkout", checked_out)
        await probe.close()
    assert answers == [True] * 10
    assert len(pids) == 1
    assert checkouts == [], "the probe took a connection from the pool"


async def test_a_dropped_connection_answers_no_once_then_the_probe_reconnects(ctx: Context, database_url: str) -> None:
    probe = LedgerProbe(ctx)
    try:
        assert await probe.answers()
        dropped = backend(probe)
        with psycopg.connect(libpq_url(database_url), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (dropped,))
        assert await probe.answers() is False
        assert await probe.answers()
        assert backend(probe) != dropped
    finally:
        await probe.close()
