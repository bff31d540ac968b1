"""Engines and sessions for the ledger."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from domain.database_timeouts import DatabaseTimeouts


def sqlalchemy_url(url: str) -> str:
    """Accept plain `postgresql://` URLs (as psql takes them) and use psycopg 3 for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """The same database as psycopg's own `connect` takes it (no SQLAlchemy driver name)."""
    return make_url(sqlalchemy_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


def masked_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str, timeouts: DatabaseTimeouts | None = None, **kwargs: Any) -> Engine:
    timeouts = timeouts or DatabaseTimeouts()
    kwargs.setdefault("pool_timeout", timeouts.pool_seconds)
    connect_args: dict[str, Any] = {"connect_timeout": max(1, round(timeouts.connect_seconds))}
    if timeouts.statement_seconds:
        connect_args["options"] = f"-c statement_timeout={round(timeouts.statement_seconds * 1000)}"
    connect_args.update(kwargs.pop("connect_args", {}))
    return create_engine(sqlalchemy_url(url), pool_pre_ping=True, connect_args=connect_args, **kwargs)


def make_sessionmaker(engine: Engine, info: dict[str, Any] | None = None) -> sessionmaker:
    """`info`: given to every session (the server's sealer, ledger/officers.py)."""
    return sessionmaker(engine, expire_on_commit=False, info=info)
