"""Which townships an officer sees and acts on (docs/architecture.md, "Scope")."""

from __future__ import annotations

from domain.actors import Actor
from domain.enums import GOVERNMENT_ROLES, TOWNSHIP_ROLES, Role
from domain.roster import Roster
from domain.wire import HEADER_NOTICE


def townships_in_scope(actor: Actor, roster: Roster) -> frozenset[str] | None:
    """A case officer or township lead: their township; a section chief: their section's; an office head or a
    group leader: their group's; county: every township (None); admin and a school officer: none of
    the case lists (a school reports; it does not read the townships' cases)."""
    if actor.role == Role.county:
        return None
    if actor.role in (Role.admin, Role.school, *GOVERNMENT_ROLES):
        return frozenset()
    if actor.role in TOWNSHIP_ROLES:
        return frozenset({actor.township}) if actor.township else frozenset()
    chains = roster.chains()
    if actor.role == Role.section_chief:
        return frozenset(c.township for c in chains if c.section_chief == actor.name)
    if actor.role == Role.office_head:
        return frozenset(c.township for c in chains if c.office_head == actor.name)
    return frozenset(c.township for c in chains if c.group_leader == actor.name)


def scope_notice(actor: Actor) -> dict[str, str]:
    """What an answer says beside itself to an administrator, whose scope holds no case: that they
    see none, so an empty list or a report of zeros is not read as a county without cases."""
    return {HEADER_NOTICE: "admin_sees_no_cases"} if actor.role == Role.admin else {}


def may_reveal(actor: Actor, *, township: str, chain: dict[str, str]) -> bool:
    """Full name and ID number: county, or the case's own chain (its township's case officers,
    its township lead, its section chief, office head and group leader)."""
    if actor.role == Role.county:
        return True
    if actor.role in (Role.admin, Role.school, *GOVERNMENT_ROLES):
        return False
    if actor.role in TOWNSHIP_ROLES:
        return actor.township == township
    return actor.name in {chain.get("section_chief"), chain.get("office_head"), chain.get("group_leader")}
