"""Adding the county's schools, one by one or from a list (学校名称, 乡镇（街道）, 学段)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from domain.messages import t
from domain.roster import Roster, UnknownTownshipError
from domain.schools import SchoolStage, school_name, stage_from_name, stage_of
from domain.text import CONTROL_CHARACTERS, visible
from ledger.schools import SchoolEntry
from starter.errors import BadInput
from starter.register_files import RegisterFileError, TableCaps, read_table

SCHOOL_LIST_CAPS = TableCaps(rows=20_000, columns=64)
"""A county has hundreds of schools: a list larger than this is not a school list."""
_HEADERS = {
    "name": ("学校名称", "学校", "校名", "学校（教学点）名称"),
    "township": ("乡镇（街道）", "乡镇", "所属乡镇", "乡镇(街道)", "所在乡镇"),
    "stage": ("学段", "类型", "学校类型", "办学类型"),
}


def school_entry(roster: Roster, *, name: str, township: str, stage: str | None) -> SchoolEntry:
    """One school as given on the command line: its name kept without spaces, its township the
    roster's, its stage given or read from its name. Exit 2 naming what is wrong."""
    kept = school_name(name)
    if not kept or len(kept) > 64 or CONTROL_CHARACTERS.search(kept):
        raise BadInput(t("bad_value", option="--name", value=visible(name)[:80]))
    try:
        canonical = roster.canonical_township(township)
    except UnknownTownshipError as exc:
        raise BadInput(t("unknown_township_plain", name=visible(township)[:80])) from exc
    chosen = stage_of(stage) if stage else stage_from_name(kept)
    if stage and chosen is None:
        raise BadInput(t("bad_value", option="--stage", value=f"{visible(stage)[:32]} ({'|'.join(SchoolStage)})"))
    return SchoolEntry(kept, canonical, chosen.value if chosen else None)


@dataclass
class SchoolList:
    entries: list[SchoolEntry] = field(default_factory=list)
    rejected: list[dict[str, object]] = field(default_factory=list)


def read_school_list(path: Path, roster: Roster) -> SchoolList:
    """The schools of a list file; a row without a name or with an unknown township is rejected
    with its row number and reason, the others kept (a name twice: the later row)."""
    try:
        table = read_table(path, caps=SCHOOL_LIST_CAPS)
    except RegisterFileError as error:
        raise BadInput(t("register_unreadable", file=path.name, detail=error.detail)) from None
    header_at, columns = _header(table)
    if "name" not in columns or "township" not in columns:
        raise BadInput(t("register_missing_columns", file=path.name, detail="学校名称、乡镇（街道）"))
    found = SchoolList()
    by_name: dict[str, SchoolEntry] = {}
    for row_no, row in enumerate(table[header_at + 1 :], start=header_at + 2):
        cells = {
            key: str(row[at]).strip() if at < len(row) and row[at] is not None else "" for key, at in columns.items()
        }
        if not any(cells.values()):
            continue
        try:
            entry = school_entry(
                roster, name=cells["name"], township=cells["township"], stage=cells.get("stage") or None
            )
        except BadInput as error:
            found.rejected.append({"row": row_no, "reason": str(error)})
            continue
        by_name[entry.name] = entry
    found.entries = list(by_name.values())
    return found


def _header(table: list[list[object]]) -> tuple[int, dict[str, int]]:
    for at, row in enumerate(table[:20]):
        texts = [school_name(str(cell or "")) for cell in row]
        columns = {key: texts.index(word) for key, words in _HEADERS.items() for word in words if word in texts}
        if "name" in columns:
            return at, columns
    return 0, {}
