"""How long the ledger's database may keep a caller waiting: plain values, set from the settings
(`BAOXUE_DATABASE_*_SECONDS`) and handed to whatever makes an engine."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatabaseTimeouts:
    """How long the ledger's database may keep a caller waiting (docs/deploy.md, "Limits"): an
    answer, not a hang, when a host is gone, a server frozen or a statement stuck on a lock."""

    connect_seconds: float = 5.0
    """Opening a connection."""
    statement_seconds: float = 120.0
    """One statement, enforced by PostgreSQL (`statement_timeout`); 0 for none (migrations)."""
    pool_seconds: float = 10.0
    """Waiting for a free connection of the pool."""
