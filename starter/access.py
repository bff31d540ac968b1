"""Who may read what and who may administer: every read of cases goes through here, and so does
its audit entry. The actor is always the signed-in officer the server authenticated."""

from __future__ import annotations

import structlog

from domain.actors import Actor
from domain.enums import Role
from domain.labels import label
from domain.messages import t
from domain.scope import townships_in_scope
from ledger.audit import record
from ledger.models import Case
from starter.context import Context
from starter.errors import Refused

log = structlog.get_logger("baoxue.access")


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
            cipher=ctx.cipher,
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
    """Log and audit a refusal; the caller raises what this returns (exit 3)."""
    log.warning(
        "access_denied", actor=actor.name, role=actor.role.value, action=action, case_no=case.case_no if case else None
    )
    audit(ctx, actor, action, "denied", case, detail=reason[:200])
    return Refused(reason)


def in_scope(ctx: Context, actor: Actor, case: Case) -> bool:
    """Within the reader's townships (a case waiting to be transferred to one of them too); for a
    school officer, a case their school reported."""
    if actor.role == Role.school:
        return bool(case.school) and case.school == actor.school
    scope = scope_of(ctx, actor)
    receiving = (case.transfer or {}).get("to")
    return scope is None or case.township in scope or receiving in scope


def require_case_access(ctx: Context, actor: Actor, case: Case, action: str) -> None:
    if not in_scope(ctx, actor, case):
        raise refuse(
            ctx,
            actor,
            action,
            case,
            t("read_not_permitted", actor=actor.name, role=label("role", actor.role.value), case_no=case.case_no),
        )


def require_township_access(ctx: Context, actor: Actor, township: str, action: str) -> None:
    scope = scope_of(ctx, actor)
    if scope is not None and township not in scope:
        raise refuse(
            ctx,
            actor,
            action,
            None,
            t("township_not_permitted", actor=actor.name, role=label("role", actor.role.value), township=township),
        )


def require_role(ctx: Context, actor: Actor, action: str, *roles: Role) -> None:
    """Administration (admin) and the audit log (admin, county): anyone else is refused, audited."""
    if actor.role not in roles:
        key = "admin_only" if roles == (Role.admin,) else "county_only"
        raise refuse(ctx, actor, action, None, t(key, actor=actor.name, role=actor.role.value))
