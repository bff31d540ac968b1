"""The officer registry: case officers and anyone else added with `baoxue officer add`."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
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


def set_public_key(session: Session, *, name: str, role: str, township: str | None, public_key: str) -> None:
    """Register an officer's public key; an officer not yet registered is added in that role."""
    session.execute(
        insert(Officer)
        .values(name=name, role=role, township=township, notify_urls=[], public_key=public_key)
        .on_conflict_do_update(index_elements=["name"], set_={"public_key": public_key})
    )


def officers_for_case(session: Session, *, township: str, chain_names: set[str]) -> list[Officer]:
    """Everyone who may sign steps of a case: its township's case officers, its chain, county."""
    return list(
        session.scalars(
            select(Officer).where(
                Officer.public_key.is_not(None),
                or_(
                    Officer.role == "county",
                    and_(Officer.role == "case_officer", Officer.township == township),
                    Officer.name.in_(sorted(chain_names)),
                ),
            )
        )
    )


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
