"""Who may read what: every read of cases goes through here, and so does its audit entry."""

from __future__ import annotations

import structlog

from domain.actors import Actor
from domain.enums import Role
from domain.scope import townships_in_scope
from ledger.audit import record
from ledger.models import Case
from starter.actors import acting_officer
from starter.case_service import cipher_for
from starter.context import Context
from starter.errors import BadInput, Refused
from starter.messages import t

log = structlog.get_logger("baoxue.access")

LOCAL_ADMIN = Actor(name="本机管理员", role=Role.county)


def is_local_stack(ctx: Context) -> bool:
    return ctx.settings.database_url is None and ctx.settings.temporal_address is None


def reading_actor(ctx: Context) -> Actor:
    """`--as` / BAOXUE_ACTOR; on the local stack of `baoxue up` without one, the machine's own
    administrator (county scope: that person holds every key of the local profile anyway)."""
    if ctx.actor_name:
        return acting_officer(ctx)
    if is_local_stack(ctx):
        return LOCAL_ADMIN
    raise BadInput(t("actor_missing"))


def scope_of(ctx: Context, actor: Actor) -> frozenset[str] | None:
    return townships_in_scope(actor, ctx.roster)


def audit(
    ctx: Context,
    actor: Actor,
    action: str,
    outcome: str,
    case: Case | None = None,
    purpose: str | None = None,
    detail: str | None = None,
) -> None:
    with ctx.sessions.begin() as session:
        record(
            session,
            cipher=cipher_for(ctx),
            actor=actor.name,
            role=actor.role.value,
            action=action,
            outcome=outcome,
            case_id=case.id if case else None,
            case_no=case.case_no if case else None,
            purpose=purpose,
            detail=detail,
        )


def refuse(ctx: Context, actor: Actor, action: str, case: Case | None, reason: str) -> Refused:
    """Log and audit a refused read; the caller raises what this returns (exit 3)."""
    log.warning(
        "access_denied", actor=actor.name, role=actor.role.value, action=action, case_no=case.case_no if case else None
    )
    audit(ctx, actor, action, "denied", case, detail=reason[:200])
    return Refused(reason)


def require_case_access(ctx: Context, actor: Actor, case: Case, action: str) -> None:
    scope = scope_of(ctx, actor)
    if scope is not None and case.township not in scope:
        raise refuse(
            ctx,
            actor,
            action,
            case,
            t("read_not_permitted", actor=actor.name, role=actor.role.value, case_no=case.case_no),
        )


def require_township_access(ctx: Context, actor: Actor, township: str, action: str) -> None:
    scope = scope_of(ctx, actor)
    if scope is not None and township not in scope:
        raise refuse(
            ctx,
            actor,
            action,
            None,
            t("township_not_permitted", actor=actor.name, role=actor.role.value, township=township),
        )


def county_reader(ctx: Context, action: str) -> Actor:
    """The reading actor, who must hold the county role (audit, retention)."""
    actor = reading_actor(ctx)
    if actor.role != Role.county:
        raise refuse(ctx, actor, action, None, t("county_only", actor=actor.name, role=actor.role.value))
    return actor
