"""Alembic to head, from code: used by `baoxue db upgrade`, `baoxue up` and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from domain.database_timeouts import DatabaseTimeouts
from ledger.db import make_engine, sqlalchemy_url

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return cfg


def upgrade_to_head(url: str) -> str:
    """Apply every pending migration; returns the head revision."""
    cfg = alembic_config(url)
    command.upgrade(cfg, "head")
    return ScriptDirectory.from_config(cfg).get_current_head() or ""


def current_revision(url: str) -> str | None:
    engine = make_engine(url, DatabaseTimeouts(statement_seconds=0))
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
