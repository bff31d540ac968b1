"""Campaigns in the ledger: the shipped files, those added later, and which one is current."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from domain.campaign import CampaignSpec
from ledger.models import Campaign


def _values(spec: CampaignSpec) -> dict[str, object]:
    return {
        "reference_date": spec.reference_date,
        "clearance_deadline": spec.clearance_deadline,
        "spec": spec.model_dump(mode="json"),
        "description": spec.description,
    }


def upsert_campaign(session: Session, *, spec: CampaignSpec) -> bool:
    """Add a campaign or replace the one of that name; True when it was new."""
    existed = session.scalar(select(Campaign.id).where(Campaign.name == spec.name)) is not None
    values = _values(spec)
    session.execute(
        insert(Campaign).values(name=spec.name, **values).on_conflict_do_update(index_elements=["name"], set_=values)
    )
    return not existed


def add_missing_campaigns(session: Session, *, specs: list[CampaignSpec]) -> int:
    """Insert the shipped campaigns the ledger does not have yet; never overwrite an edited one."""
    added = 0
    for spec in specs:
        result = session.execute(
            insert(Campaign).values(name=spec.name, **_values(spec)).on_conflict_do_nothing(index_elements=["name"])
        )
        added += cast(CursorResult[Any], result).rowcount or 0
    return added


def get_campaign(session: Session, *, name: str) -> CampaignSpec | None:
    row = session.scalars(select(Campaign).where(Campaign.name == name)).one_or_none()
    return CampaignSpec.model_validate(row.spec) if row else None


def list_campaigns(session: Session) -> list[CampaignSpec]:
    rows = session.scalars(select(Campaign).order_by(Campaign.reference_date, Campaign.name))
    return [CampaignSpec.model_validate(row.spec) for row in rows]


def current_campaign(session: Session, *, now: dt.datetime) -> CampaignSpec | None:
    """The campaign still open (deadline ahead) with the latest reference date; else the latest one."""
    campaigns = list_campaigns(session)
    open_ones = [c for c in campaigns if c.clearance_deadline > now]
    pool = open_ones or campaigns
    return max(pool, key=lambda c: (c.reference_date, c.name)) if pool else None
