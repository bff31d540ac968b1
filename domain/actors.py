"""Who acts on a case, and the chain a case answers to."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.enums import Role


class Actor(BaseModel):
    """The acting officer, as the registry knows them when the command is given."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: Role
    township: str | None = None
    id: int | None = None
    """The officer's stable id in the registry (names are not unique); None in old histories."""
    school: str | None = None
    """A school officer's school (their township is the school's)."""


class Chain(BaseModel):
    """The roster's people for one township (包片责任制), recorded on the case with the roster version."""

    model_config = ConfigDict(frozen=True)

    section_chief: str
    office_head: str
    group_leader: str
    roster_version: str
    section_chief_id: int | None = None
    office_head_id: int | None = None
    group_leader_id: int | None = None
    """Who each named person is in the officers' registry (None: not enrolled, or a chain recorded
    before ids were kept); reminders go by these, never by the name."""

    def person(self, role: Role) -> tuple[str, int | None]:
        """The chain's person in one of its three roles: name and officer id."""
        return getattr(self, role.value), getattr(self, f"{role.value}_id")

    def role_of(self, name: str) -> Role | None:
        for role, person in (
            (Role.section_chief, self.section_chief),
            (Role.office_head, self.office_head),
            (Role.group_leader, self.group_leader),
        ):
            if person == name:
                return role
        return None
