"""The area-responsibility table (包片责任制一览表): who answers for which township."""

from __future__ import annotations

import difflib
import re
from functools import cached_property

from pydantic import BaseModel, ConfigDict

TOWNSHIP_SUFFIXES = ("街道", "镇", "乡")
_SPACES = re.compile(r"[\s\u3000]+")


class Section(BaseModel):
    model_config = ConfigDict(frozen=True)

    section: str
    section_chief: str
    townships: tuple[str, ...]


class Group(BaseModel):
    model_config = ConfigDict(frozen=True)

    group: int
    label: str
    group_leader: str
    area: str
    office: str
    office_head: str
    sections: tuple[Section, ...]


class TownshipChain(BaseModel):
    """One township's row of the table: the chain a late step escalates up."""

    model_config = ConfigDict(frozen=True)

    township: str
    group: int
    group_leader: str
    area: str
    section: str
    section_chief: str
    office: str
    office_head: str


class UnknownTownshipError(LookupError):
    def __init__(self, name: str, suggestions: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.suggestions = suggestions


def township_base(name: str) -> str:
    """The township's name without spaces and without its 镇/乡/街道 suffix."""
    compact = _SPACES.sub("", name)
    for suffix in TOWNSHIP_SUFFIXES:
        if compact.endswith(suffix) and len(compact) > len(suffix):
            return compact[: -len(suffix)]
    return compact


class Roster(BaseModel):
    model_config = ConfigDict(frozen=True)

    county: str
    version: str
    source: str = ""
    groups: tuple[Group, ...]

    def chains(self) -> list[TownshipChain]:
        return [
            TownshipChain(
                township=township,
                group=group.group,
                group_leader=group.group_leader,
                area=group.area,
                section=section.section,
                section_chief=section.section_chief,
                office=group.office,
                office_head=group.office_head,
            )
            for group in self.groups
            for section in group.sections
            for township in section.townships
        ]

    def townships(self) -> list[str]:
        return [chain.township for chain in self.chains()]

    @cached_property
    def _by_base(self) -> dict[str, TownshipChain]:
        return {township_base(chain.township): chain for chain in self.chains()}

    def resolve(self, name: str) -> TownshipChain:
        """The chain of a township named with or without its suffix and with stray spaces."""
        chain = self._by_base.get(township_base(name))
        if chain is None:
            raise UnknownTownshipError(name, self.suggest(name))
        return chain

    def canonical_township(self, name: str) -> str:
        return self.resolve(name).township

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        names = self.townships()
        by_base = {township_base(n): n for n in names}
        close = difflib.get_close_matches(township_base(name), list(by_base), n=limit, cutoff=0.3)
        if close:
            return [by_base[c] for c in close]
        wanted = set(township_base(name))
        scored = sorted(names, key=lambda n: -len(wanted & set(n)))
        return [n for n in scored[:limit] if wanted & set(n)]

    def group_of(self, number: int) -> Group | None:
        return next((g for g in self.groups if g.group == number), None)

    def people(self) -> dict[str, set[str]]:
        """Every named person of the table with the roles they hold in it."""
        roles: dict[str, set[str]] = {}
        for group in self.groups:
            roles.setdefault(group.group_leader, set()).add("group_leader")
            roles.setdefault(group.office_head, set()).add("office_head")
            for section in group.sections:
                roles.setdefault(section.section_chief, set()).add("section_chief")
        return roles
