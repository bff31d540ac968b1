"""The schools table: added one at a time or from a list, read per township."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ledger.models import School


@dataclass(frozen=True)
class SchoolEntry:
    name: str
    township: str
    stage: str | None


def save_schools(session: Session, entries: list[SchoolEntry], *, added_by: str) -> tuple[int, int]:
    """Add each school, or update its township and stage when its name is known; (added, updated)."""
    known = set(session.scalars(select(School.name).where(School.name.in_([e.name for e in entries]))))
    for entry in entries:
        statement = insert(School).values(
            name=entry.name, township=entry.township, stage=entry.stage, added_by=added_by
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["name"],
                set_={"township": entry.township, "stage": entry.stage, "updated_at": func.now()},
            )
        )
    added = len({e.name for e in entries} - known)
    return added, len({e.name for e in entries}) - added


def list_schools(session: Session, *, townships: frozenset[str] | None = None) -> list[School]:
    query = select(School).order_by(School.township, School.name)
    if townships is not None:
        query = query.where(School.township.in_(sorted(townships)))
    return list(session.scalars(query))
