"""Who may import a register for what (docs/architecture.md, "Schools and their reports"): the
administrator any register, for the county, a township (`--township`) or a school (`--school`); a
township lead its township's attendance list or one of its schools'; a school officer their own
school's attendance list. Anything else is refused and audited."""

from __future__ import annotations

from sqlalchemy import select

from domain.actors import Actor
from domain.enums import Role
from domain.messages import t
from domain.register_scopes import COUNTY, FileScope, Scope
from domain.registers import RegisterKind
from domain.roster import UnknownTownshipError
from domain.schools import school_name
from domain.text import visible
from ledger.models import School
from starter.access import refuse
from starter.context import Context
from starter.errors import BadInput


def import_scope(
    ctx: Context, actor: Actor, kind: RegisterKind, *, school: str | None, township: str | None
) -> FileScope:
    """The unit the file will speak for, or a refusal (exit 3) or bad input (exit 2) naming why."""
    if school is not None and township is not None:
        raise BadInput(t("import_one_scope"))
    if actor.role == Role.admin:
        if school is not None:
            return school_scope(ctx, school)
        if township is not None:
            return township_scope(ctx, township)
        return COUNTY
    if actor.role not in (Role.school, Role.township_lead) or kind != RegisterKind.attendance:
        raise refuse(ctx, actor, "import", None, t("import_not_permitted", actor=actor.name))
    if actor.role == Role.school:
        own = school_scope(ctx, actor.school or "")
        if (school is not None and school_name(school) != own.unit) or township is not None:
            raise refuse(ctx, actor, "import", None, t("import_own_school_only", school=own.unit))
        return own
    scope = school_scope(ctx, school) if school is not None else township_scope(ctx, township or actor.township or "")
    if scope.township != actor.township:
        raise refuse(ctx, actor, "import", None, t("import_own_township_only", township=actor.township))
    return scope


def school_scope(ctx: Context, name: str) -> FileScope:
    kept = school_name(name)
    with ctx.sessions() as session:
        township = session.scalar(select(School.township).where(School.name == kept))
    if township is None:
        raise BadInput(t("unknown_school", name=visible(name)[:80]))
    return FileScope(Scope.school, kept, township)


def township_scope(ctx: Context, township: str) -> FileScope:
    try:
        canonical = ctx.roster.canonical_township(township)
    except UnknownTownshipError as exc:
        raise BadInput(t("unknown_township_plain", name=visible(township)[:80])) from exc
    return FileScope(Scope.township, canonical, canonical)
