"""Engines and sessions for the ledger."""

from __future__ import annotations

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


def make_engine(url: str, **kwargs: object) -> Engine:
    return create_engine(sqlalchemy_url(url), pool_pre_ping=True, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
