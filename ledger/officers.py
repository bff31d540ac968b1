"""The officer registry: case officers and anyone else added with `baoxue officer add`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ledger.models import Officer


def upsert_officer(
    session: Session, *, name: str, role: str, township: str | None, notify_urls: list[str]
) -> tuple[Officer, bool]:
    """Add an officer, or update role, township and notify URLs of one with that name; True when new."""
    existed = session.scalar(select(Officer.id).where(Officer.name == name)) is not None
    session.execute(
        insert(Officer)
        .values(name=name, role=role, township=township, notify_urls=notify_urls)
        .on_conflict_do_update(
            index_elements=["name"], set_={"role": role, "township": township, "notify_urls": notify_urls}
        )
    )
    officer = session.scalars(select(Officer).where(Officer.name == name)).one()
    return officer, not existed


def get_officer(session: Session, *, name: str) -> Officer | None:
    return session.scalars(select(Officer).where(Officer.name == name)).one_or_none()


def list_officers(session: Session) -> list[Officer]:
    return list(session.scalars(select(Officer).order_by(Officer.township, Officer.name)))


def default_case_officer(session: Session, *, township: str) -> str | None:
    """The township's first registered case officer: who a new case is assigned to."""
    return session.scalar(
        select(Officer.name)
        .where(Officer.role == "case_officer", Officer.township == township)
        .order_by(Officer.id)
        .limit(1)
    )
