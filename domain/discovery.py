"""Reconciling the registers into suspects (DESIGN §5). Pure: rows in, suspects out.

- dropout: a household row of a child aged 6–16 on the reference date whose key is in no
  enrollment row (any school, in the county or not);
- funding: an alleviated row whose key has no aid row;
- disability: a disability row of a child with no arrangement recorded in any of their rows.
A child listed twice is one suspect, with every row that raised it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from domain.enums import CaseKind

MIN_AGE, MAX_AGE = 6, 16


@dataclass(frozen=True)
class RowRef:
    register: str
    file_id: int
    row_no: int


@dataclass(frozen=True)
class KeyedRow:
    key: str
    ref: RowRef
    township: str | None = None
    age: int | None = None
    has_arrangement: bool = False


@dataclass
class Suspect:
    kind: CaseKind
    key: str
    township: str
    refs: list[RowRef] = field(default_factory=list)


def _group(rows: Iterable[KeyedRow], kind: CaseKind) -> dict[str, Suspect]:
    suspects: dict[str, Suspect] = {}
    for row in rows:
        suspect = suspects.get(row.key)
        if suspect is None:
            suspects[row.key] = Suspect(kind, row.key, row.township or "", [row.ref])
        else:
            suspect.refs.append(row.ref)
    return suspects


def dropout_suspects(household: Iterable[KeyedRow], enrollment: Iterable[KeyedRow]) -> list[Suspect]:
    enrolled = {row.key for row in enrollment}
    in_age = (r for r in household if r.age is not None and MIN_AGE <= r.age <= MAX_AGE and r.key not in enrolled)
    return list(_group(in_age, CaseKind.dropout).values())


def funding_suspects(alleviated: Iterable[KeyedRow], aid: Iterable[KeyedRow]) -> list[Suspect]:
    aided = {row.key for row in aid}
    return list(_group((r for r in alleviated if r.key not in aided), CaseKind.funding).values())


def disability_suspects(disability: Iterable[KeyedRow]) -> list[Suspect]:
    rows = list(disability)
    arranged = {row.key for row in rows if row.has_arrangement}
    return list(_group((r for r in rows if r.key not in arranged), CaseKind.disability).values())


def find_suspects(
    household: list[KeyedRow],
    enrollment: list[KeyedRow],
    alleviated: list[KeyedRow],
    aid: list[KeyedRow],
    disability: list[KeyedRow],
    township: str | None = None,
) -> dict[CaseKind, list[Suspect]]:
    found = {
        CaseKind.dropout: dropout_suspects(household, enrollment),
        CaseKind.funding: funding_suspects(alleviated, aid),
        CaseKind.disability: disability_suspects(disability),
    }
    if township is not None:
        found = {kind: [s for s in suspects if s.township == township] for kind, suspects in found.items()}
    return found
