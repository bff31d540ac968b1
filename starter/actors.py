"""Who is acting: `--as NAME` or BAOXUE_ACTOR, looked up in the registry and the roster."""

from __future__ import annotations

from domain.actors import Actor
from domain.enums import Role
from ledger.officers import get_officer
from starter.context import Context
from starter.errors import BadInput, Refused
from starter.messages import t

_ROLE_ORDER = (Role.section_chief, Role.office_head, Role.group_leader)


def lookup_officer(ctx: Context, name: str) -> Actor | None:
    """A registered officer, else a person of the roster in their roster role."""
    with ctx.sessions() as session:
        officer = get_officer(session, name=name)
    if officer is not None:
        return Actor(name=officer.name, role=Role(officer.role), township=officer.township)
    roles = ctx.roster.people().get(name)
    if roles:
        role = next(r for r in _ROLE_ORDER if r.value in roles)
        return Actor(name=name, role=role)
    return None


def acting_officer(ctx: Context, name: str | None = None) -> Actor:
    chosen = name or ctx.actor_name
    if not chosen:
        raise BadInput(t("actor_missing"))
    actor = lookup_officer(ctx, chosen)
    if actor is None:
        raise Refused(t("unknown_officer", name=chosen))
    return actor
