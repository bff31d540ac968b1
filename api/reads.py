"""What went up the chain, whether it arrived, and the access log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from api.auth import Ctx, signed_in
from domain.actors import Actor
from domain.enums import Role
from domain.messages import t
from domain.parsing import parse_since
from ledger.audit import entries
from ledger.escalations import EscalationFilter, list_escalations, list_failed, list_notifications
from starter.access import require_role, require_township_access, scope_of
from starter.case_service import find_case_or_exit
from starter.errors import BadInput

router = APIRouter(prefix="/api")
SignedIn = Annotated[Actor, Depends(signed_in)]

STATUSES = ("pending", "sent", "failed", "duplicate")


def _since(value: str | None) -> dt.datetime | None:
    return parse_since(value) if value else None


@router.get("/escalations")
def escalations(
    ctx: Ctx,
    actor: SignedIn,
    level: int | None = None,
    township: str | None = None,
    group: int | None = None,
    since: str | None = None,
) -> list[dict[str, Any]]:
    if level is not None and not 0 <= level <= 2:
        raise BadInput(t("bad_value", option="--level", value=f"{level} (0|1|2)"))
    canonical = ctx.chain(township).township if township else None
    if canonical:
        require_township_access(ctx, actor, canonical, "escalations")
    where = EscalationFilter(
        townships=scope_of(ctx, actor), level=level, township=canonical, group=group, since=_since(since)
    )
    with ctx.sessions() as session:
        return list_escalations(session, where=where)


@router.get("/notifications")
def notifications(ctx: Ctx, actor: SignedIn, status: str | None = None) -> list[dict[str, Any]]:
    if status is not None and status not in STATUSES:
        raise BadInput(t("bad_value", option="--status", value=f"{status} ({'|'.join(STATUSES)})"))
    with ctx.sessions() as session:
        return list_notifications(session, status=status, townships=scope_of(ctx, actor))


@router.get("/notifications/failed")
def failed_notifications(ctx: Ctx, actor: SignedIn) -> list[dict[str, Any]]:
    """Reminders that could not be delivered: an administrator's and the county's all of them (an
    administrator mends the addresses), anyone else's those of their cases and their own."""
    townships = None if actor.role in (Role.admin, Role.county) else scope_of(ctx, actor)
    with ctx.sessions() as session:
        return list_failed(session, townships=townships, officer_id=actor.id or 0)


@router.get("/audit")
def audit_log(
    ctx: Ctx,
    actor: SignedIn,
    case: str | None = None,
    officer: str | None = None,
    since: str | None = None,
) -> list[dict[str, Any]]:
    """The access log: every look at personal fields, every reveal with its purpose, every refusal."""
    require_role(ctx, actor, "audit", Role.admin, Role.county)
    case_no = find_case_or_exit(ctx, case).case_no if case else None
    with ctx.sessions() as session:
        return entries(session, cipher=ctx.cipher, case_no=case_no, actor=officer, since=_since(since))
