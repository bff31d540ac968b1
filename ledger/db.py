"""Engines and sessions for the ledger."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker


def sqlalchemy_url(url: str) -> str:
    """Accept plain `postgresql://` URLs (as psql takes them) and use psycopg 3 for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def masked_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


CONNECT_SECONDS = 5
"""How long opening a connection to PostgreSQL may take before it fails (a host gone, a server
frozen): an answer, not a hang."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    kwargs.setdefault("pool_timeout", 10)
    connect_args = {"connect_timeout": CONNECT_SECONDS, **kwargs.pop("connect_args", {})}
    return create_engine(sqlalchemy_url(url), pool_pre_ping=True, connect_args=connect_args, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
