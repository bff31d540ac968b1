"""Reading a roster file and reporting every problem in it with its place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from domain.roster import Group, Roster, Section, township_base


@dataclass(frozen=True)
class RosterProblem:
    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


class RosterError(ValueError):
    def __init__(self, path: Path, problems: list[RosterProblem]) -> None:
        super().__init__(f"{path}: " + "; ".join(str(p) for p in problems))
        self.path = path
        self.problems = problems


_GROUP_FIELDS = ("group_leader", "area", "office", "office_head")


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def check_roster_data(data: Any) -> list[RosterProblem]:
    """Every problem of a parsed roster document; an empty list means it is sound."""
    problems: list[RosterProblem] = []
    if not isinstance(data, dict):
        return [RosterProblem("/", "the file is not a mapping with `county`, `version` and `groups`")]
    for key in ("county", "version"):
        if not _text(data.get(key)):
            problems.append(RosterProblem(key, "missing"))
    groups = data.get("groups")
    if not isinstance(groups, list) or not groups:
        problems.append(RosterProblem("groups", "no groups"))
        return problems
    seen_townships: dict[str, str] = {}
    seen_numbers: dict[int, str] = {}
    for gi, group in enumerate(groups):
        gplace = f"groups[{gi}]"
        if not isinstance(group, dict):
            problems.append(RosterProblem(gplace, "not a mapping"))
            continue
        number = group.get("group")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            problems.append(RosterProblem(f"{gplace}.group", "must be a whole number from 1"))
        elif number in seen_numbers:
            problems.append(RosterProblem(f"{gplace}.group", f"group {number} already at {seen_numbers[number]}"))
        else:
            seen_numbers[number] = gplace
        for key in _GROUP_FIELDS:
            if not _text(group.get(key)):
                problems.append(RosterProblem(f"{gplace}.{key}", "missing person or name"))
        sections = group.get("sections")
        if not isinstance(sections, list) or not sections:
            problems.append(RosterProblem(f"{gplace}.sections", "no sections"))
            continue
        for si, section in enumerate(sections):
            splace = f"{gplace}.sections[{si}]"
            if not isinstance(section, dict):
                problems.append(RosterProblem(splace, "not a mapping"))
                continue
            for key in ("section", "section_chief"):
                if not _text(section.get(key)):
                    problems.append(RosterProblem(f"{splace}.{key}", "missing person or name"))
            townships = section.get("townships")
            if not isinstance(townships, list) or not townships:
                problems.append(RosterProblem(f"{splace}.townships", "empty section: no townships"))
                continue
            for ti, township in enumerate(townships):
                tplace = f"{splace}.townships[{ti}]"
                name = _text(township)
                if not name:
                    problems.append(RosterProblem(tplace, "empty township name"))
                    continue
                base = township_base(name)
                if base in seen_townships:
                    problems.append(RosterProblem(tplace, f"{name} listed twice (also at {seen_townships[base]})"))
                else:
                    seen_townships[base] = tplace
    return problems


def build_roster(data: dict[str, Any]) -> Roster:
    return Roster(
        county=_text(data["county"]),
        version=_text(data["version"]),
        source=_text(data.get("source")),
        groups=tuple(
            Group(
                group=g["group"],
                label=_text(g.get("label")) or f"{g['group']}",
                group_leader=_text(g["group_leader"]),
                area=_text(g["area"]),
                office=_text(g["office"]),
                office_head=_text(g["office_head"]),
                sections=tuple(
                    Section(
                        section=_text(s["section"]),
                        section_chief=_text(s["section_chief"]),
                        townships=tuple(_text(t) for t in s["townships"]),
                    )
                    for s in g["sections"]
                ),
            )
            for g in data["groups"]
        ),
    )


def load_roster(path: Path) -> Roster:
    """Load and validate a roster file; RosterError lists every problem found."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RosterError(path, [RosterProblem("/", f"not valid YAML: {exc}")]) from exc
    problems = check_roster_data(data)
    if problems:
        raise RosterError(path, problems)
    return build_roster(data)
