"""What a register file speaks for — the whole county, one township, or one school — and so which
files a new one replaces and which rows of an older, broader file a newer, narrower one stands in
for. The current register is the union of the latest file of each unit: a school's monthly list
replaces only that school's rows (docs/architecture.md, "Registers and discovery")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Scope(StrEnum):
    county = "county"
    township = "township"
    school = "school"


@dataclass(frozen=True)
class FileScope:
    scope: Scope = Scope.county
    unit: str | None = None
    """The township or the school; None for the county."""
    township: str | None = None
    """A school's township (a township's own name for a township scope)."""

    def speaks_for(self, township: str | None, school: str | None) -> bool:
        if self.scope == Scope.county:
            return True
        if self.scope == Scope.township:
            return township == self.unit
        return school == self.unit


COUNTY = FileScope()


def replaces(new: FileScope, old: FileScope) -> bool:
    """Whether importing `new` ends `old` being current: a file replaces the files of its own unit
    and of every unit within it (a county list all, a township list its own and its schools')."""
    if new.scope == Scope.county:
        return True
    if new.scope == Scope.township:
        return old.scope != Scope.county and old.township == new.unit
    return old.scope == Scope.school and old.unit == new.unit


@dataclass(frozen=True)
class CurrentFile:
    file_id: int
    scope: FileScope
    imported_at: dt.datetime


@dataclass(frozen=True)
class StoodFor:
    """The townships and schools whose rows in a broader file a newer, narrower file speaks for."""

    townships: frozenset[str] = frozenset()
    schools: frozenset[str] = frozenset()

    def hides(self, township: str | None, school: str | None) -> bool:
        return township in self.townships or school in self.schools


@dataclass
class Superseded:
    """Per broader current file, what later narrower files of the same register stand in for."""

    by_file: dict[int, StoodFor] = field(default_factory=dict)

    def hides(self, file_id: int, township: str | None, school: str | None) -> bool:
        stood = self.by_file.get(file_id)
        return stood is not None and stood.hides(township, school)


def superseded(files: list[CurrentFile]) -> Superseded:
    """A county list imported in November and a school's list in December: the school's December
    rows stand, the county list's rows of that school do not."""
    found = Superseded()
    for older in files:
        if older.scope.scope == Scope.school:
            continue
        newer = [f.scope for f in files if f.imported_at > older.imported_at and f.scope.scope != Scope.county]
        townships = {s.unit for s in newer if s.scope == Scope.township and older.scope.scope == Scope.county}
        schools = {s.unit for s in newer if s.scope == Scope.school and older.scope.speaks_for(s.township, s.unit)}
        if townships or schools:
            found.by_file[older.file_id] = StoodFor(
                frozenset(t for t in townships if t), frozenset(s for s in schools if s)
            )
    return found
