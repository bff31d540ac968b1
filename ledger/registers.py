"""Registers in the ledger: storing an imported file's rows, replacing an older version, and
reading the current rows of a campaign back for discovery."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from sqlalchemy import any_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from domain.aid_rules import education_stage, is_arranged, paid_date, placement_of
from domain.campaign import CampaignSpec
from domain.discovery import RegisterColumns, RowRef
from domain.register_scopes import COUNTY, CurrentFile, FileScope, Scope, Superseded, replaces, superseded
from domain.registers import (
    Column,
    ParsedRegister,
    PriorityCategory,
    RegisterKind,
    attendance_of,
    cell_text,
    column_values,
    priority_categories,
)
from domain.schools import school_name
from ledger.models import CaseSource, RegisterBlock, RegisterFile, RegisterReject, RegisterRow, School
from ledger.personal import PersonalDataCipher
from ledger.register_blocks import BLOCK_ROWS, RegisterCells, sealed_block


@dataclass(frozen=True)
class StoredImport:
    file_id: int
    replaced: int


def current_file(
    session: Session, *, campaign: str, kind: RegisterKind, scope: FileScope = COUNTY
) -> RegisterFile | None:
    """The version of a register the campaign works from now for this unit (the county's, a
    township's or a school's own file)."""
    return session.scalars(
        select(RegisterFile)
        .where(
            RegisterFile.campaign == campaign,
            RegisterFile.register == kind.value,
            RegisterFile.current,
            RegisterFile.scope == scope.scope.value,
            RegisterFile.scope_unit.is_(None) if scope.unit is None else RegisterFile.scope_unit == scope.unit,
        )
        .order_by(RegisterFile.imported_at.desc())
    ).first()


def current_files(session: Session, *, campaign: str, kind: RegisterKind) -> list[CurrentFile]:
    """The register's current files with what each speaks for (a school's township from the schools table)."""
    rows = session.execute(
        select(RegisterFile.id, RegisterFile.scope, RegisterFile.scope_unit, RegisterFile.imported_at, School.township)
        .outerjoin(School, (School.name == RegisterFile.scope_unit) & (RegisterFile.scope == Scope.school.value))
        .where(RegisterFile.campaign == campaign, RegisterFile.register == kind.value, RegisterFile.current)
    )
    return [
        CurrentFile(file_id, _scope(scope, unit, school_township), imported_at)
        for file_id, scope, unit, imported_at, school_township in rows
    ]


def _scope(scope: str, unit: str | None, school_township: str | None) -> FileScope:
    kind = Scope(scope)
    if kind == Scope.township:
        return FileScope(kind, unit, unit)
    if kind == Scope.school:
        return FileScope(kind, unit, school_township)
    return COUNTY


def previous_import(session: Session, *, campaign: str, kind: RegisterKind, digest: str) -> RegisterFile | None:
    return session.scalars(
        select(RegisterFile).where(
            RegisterFile.campaign == campaign, RegisterFile.register == kind.value, RegisterFile.content_hash == digest
        )
    ).one_or_none()


class RuleCells:
    """The cells of a file's rows that discovery's rules read, decided once per distinct value of
    their column: kept in plain columns (no one is identified by them) so discovery need not
    decrypt any row. Columns a register lacks cost nothing."""

    def __init__(self, parsed: ParsedRegister, campaign: CampaignSpec) -> None:
        self._parsed = parsed
        self._none = campaign.arrangement_none

    def _texts(self, column: Column) -> list[str | None] | None:
        at = self._parsed.columns.get(column)
        if at is None:
            return None
        return [
            (v.strip() if type(v) is str else cell_text(v)) or None for v in column_values(self._parsed.raw_rows, at)
        ]

    def _decided(self, column: Column, rule: Callable[[str | None], object]) -> list[Any] | None:
        texts = self._texts(column)
        if texts is None:
            return None
        decided = {text: rule(text) for text in set(texts)}
        return [decided[text] for text in texts]

    def columns(self, school: str | None = None) -> dict[str, list[Any]]:
        """Each rule column the register has, by its name in `register_rows`: has_arrangement,
        education_stage, aid_item, paid_on, status (every attendance row has one), category,
        school (`school`: a school's own list, every row that school's). The others keep their
        defaults (false or null)."""
        none = self._none
        found = {
            "school": (
                [school] * self._parsed.valid_rows
                if school
                else self._decided(Column.school, lambda text: school_name(text)[:64] or None if text else None)
            ),
            "has_arrangement": self._decided(Column.arrangement, lambda text: is_arranged(text, none)),
            "education_stage": self._decided(Column.education_level, _stage_code),
            "aid_item": self._decided(Column.aid_item, lambda text: "".join(text.split())[:64] if text else None),
            "paid_on": self._decided(Column.paid_on, paid_date),
            "category": self._decided(Column.category, lambda text: ",".join(priority_categories(text))[:64] or None),
        }
        if self._parsed.kind == RegisterKind.attendance:
            status = self._decided(Column.status, lambda text: attendance_of(text).value)
            found["status"] = status or [attendance_of(None).value] * self._parsed.valid_rows
        elif self._parsed.kind == RegisterKind.disability:  # a disability row's status: its placement
            found["status"] = self._decided(Column.arrangement, placement_of)
        return {name: values for name, values in found.items() if values is not None}


_ROW_TYPES = {
    "file_id": "int4",
    "row_no": "int4",
    "child_key": "varchar",
    "township": "varchar",
    "age": "int4",
    "block_no": "int4",
}
"""The columns every stored row has, with their PostgreSQL types (binary COPY sends them typed)."""
_RULE_TYPES = {
    "has_arrangement": "bool",
    "education_stage": "varchar",
    "aid_item": "varchar",
    "paid_on": "date",
    "status": "varchar",
    "category": "varchar",
    "school": "varchar",
}


def _stage_code(text: str | None) -> str | None:
    stage = education_stage(text)
    return stage.value if stage else None


def store_register(
    session: Session,
    *,
    cipher: PersonalDataCipher,
    campaign: CampaignSpec,
    parsed: ParsedRegister,
    file_name: str,
    sheet: str | None,
    digest: str,
    imported_by: str | None,
    ages: list[int],
    reinstating: int | None = None,
    scope: FileScope = COUNTY,
) -> StoredImport:
    """Store a new version of a register for the campaign and the unit it speaks for (`scope`):
    the older versions it replaces (`domain.register_scopes.replaces`) stop being current and their
    rows are deleted (data minimisation), their file records kept for the record. `ages`: each
    valid row's age on the campaign's reference date, worked out for the file at once."""
    older = [
        f.file_id for f in current_files(session, campaign=campaign.name, kind=parsed.kind) if replaces(scope, f.scope)
    ]
    if reinstating is not None:
        # An earlier version imported again: its record (its rows went when it was replaced) gives
        # way to this import of the same content, which is current from now.
        session.execute(delete(RegisterFile).where(RegisterFile.id == reinstating, RegisterFile.current.is_(False)))
    if older:
        session.execute(update(RegisterFile).where(RegisterFile.id.in_(older)).values(current=False))
        session.execute(delete(RegisterRow).where(RegisterRow.file_id.in_(older)))
        session.execute(delete(RegisterBlock).where(RegisterBlock.file_id.in_(older)))
        session.execute(delete(RegisterReject).where(RegisterReject.file_id.in_(older)))
    file_id = session.scalar(
        insert(RegisterFile)
        .values(
            campaign=campaign.name,
            register=parsed.kind.value,
            file_name=file_name[:255],
            sheet=sheet,
            content_hash=digest,
            data_rows=parsed.data_rows,
            valid_rows=parsed.valid_rows,
            rejected_rows=parsed.rejected_rows,
            blank_rows=parsed.blank_rows,
            current=True,
            imported_by=imported_by,
            scope=scope.scope.value,
            scope_unit=scope.unit,
        )
        .returning(RegisterFile.id)
    )
    assert file_id is not None
    rule_columns = RuleCells(parsed, campaign).columns(scope.unit if scope.scope == Scope.school else None)
    names = [*_ROW_TYPES, *rule_columns]
    keys = parsed.cell_keys()
    blocks: list[tuple[int, int, bytes]] = []
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY register_rows ({', '.join(names)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([_ROW_TYPES.get(name) or _RULE_TYPES[name] for name in names])
            for block_no, start in enumerate(range(0, parsed.valid_rows, BLOCK_ROWS)):
                # Block by block: each block is keyed and sealed while PostgreSQL takes in the rows before it.
                part = slice(start, start + BLOCK_ROWS)
                row_nos = parsed.row_nos[part]
                rows = zip(
                    repeat(file_id),
                    row_nos,
                    cipher.child_keys(parsed.id_numbers[part]),
                    parsed.townships[part],
                    ages[part],
                    repeat(block_no),
                    *(values[part] for values in rule_columns.values()),
                    strict=False,
                )
                for row in rows:
                    copy.write_row(row)
                cells = sealed_block(
                    cipher, file_id=file_id, block_no=block_no, keys=keys, row_nos=row_nos, rows=parsed.raw_rows[part]
                )
                blocks.append((file_id, block_no, cells))
        with cursor.copy("COPY register_blocks (file_id, block_no, cells_enc) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "int4", "bytea"])
            for block in blocks:
                copy.write_row(block)
        with cursor.copy(
            "COPY register_rejects (file_id, row_no, column_name, reason, value_masked) FROM STDIN"
        ) as copy:
            for rejection in parsed.rejections:
                copy.write_row((file_id, rejection.row_no, rejection.column, rejection.reason, rejection.value[:64]))
    return StoredImport(file_id=file_id, replaced=len(older))


def current_rows(session: Session, *, campaign: str) -> dict[RegisterKind, RegisterColumns]:
    """Every current row of the campaign's registers, by register — but for rows of a broader file
    that a newer, narrower one speaks for instead (`domain.register_scopes.superseded`)."""
    found = {kind: RegisterColumns(kind.value) for kind in RegisterKind}
    hidden: dict[RegisterKind, Superseded] = {}
    for kind in RegisterKind:
        files = current_files(session, campaign=campaign, kind=kind)
        found[kind].scopes = {f.file_id: f.scope for f in files if f.scope.scope != Scope.county}
        stood_for = superseded(files)
        if stood_for.by_file:
            hidden[kind] = stood_for
    query = (
        select(
            RegisterFile.register,
            RegisterRow.child_key,
            RegisterRow.file_id,
            RegisterRow.row_no,
            RegisterRow.township,
            RegisterRow.age,
            RegisterRow.has_arrangement,
            RegisterRow.education_stage,
            RegisterRow.aid_item,
            RegisterRow.paid_on,
            RegisterRow.status,
            RegisterRow.category,
            RegisterRow.school,
        )
        .join(RegisterFile, RegisterFile.id == RegisterRow.file_id)
        .where(RegisterFile.campaign == campaign, RegisterFile.current)
        .order_by(RegisterRow.file_id, RegisterRow.row_no)
    )
    for register, *values in session.execute(query):
        kind = RegisterKind(register)
        hiding = hidden.get(kind)
        if hiding is not None and hiding.hides(values[1], values[3], values[-1]):
            continue
        found[kind].append(*values)
    return found


def registers_imported_since(
    session: Session, *, campaign: str, kinds: tuple[RegisterKind, ...], since: dt.datetime
) -> bool:
    """Whether a current register of these kinds was imported after `since`."""
    newest = session.scalar(
        select(func.max(RegisterFile.imported_at)).where(
            RegisterFile.campaign == campaign,
            RegisterFile.current,
            RegisterFile.register.in_([k.value for k in kinds]),
        )
    )
    return newest is not None and newest > since


def rejected_rows_total(session: Session, *, campaign: str) -> int:
    return (
        session.scalar(
            select(func.coalesce(func.sum(RegisterFile.rejected_rows), 0)).where(
                RegisterFile.campaign == campaign, RegisterFile.current
            )
        )
        or 0
    )


def rows_cells(
    session: Session, *, cipher: PersonalDataCipher, refs: list[RowRef]
) -> dict[tuple[int, int], dict[str, str]]:
    """The decrypted cells of many rows, keyed by (file id, row number): one query per file, and
    each block holding them decrypted once."""
    by_file: dict[int, set[int]] = {}
    for ref in refs:
        by_file.setdefault(ref.file_id, set()).add(ref.row_no)
    reader = RegisterCells(session, cipher)
    found: dict[tuple[int, int], dict[str, str]] = {}
    for file_id, row_nos in by_file.items():
        query = select(RegisterRow.row_no, RegisterRow.block_no, RegisterRow.cells_enc).where(
            RegisterRow.file_id == file_id,
            # psycopg binds the list as one array; the stub knows only SQL expressions here
            RegisterRow.row_no == any_(sorted(row_nos)),  # type: ignore[arg-type]
        )
        rows = list(session.execute(query))
        reader.load((file_id, block_no) for _, block_no, _ in rows if block_no is not None)
        for row_no, block_no, blob in rows:
            found[(file_id, row_no)] = reader.of(file_id, row_no, block_no, blob)
    return found


def link_sources(session: Session, *, case_id: object, refs: list[RowRef]) -> None:
    for ref in refs:
        session.execute(
            insert(CaseSource)
            .values(case_id=case_id, file_id=ref.file_id, row_no=ref.row_no, register=ref.register)
            .on_conflict_do_nothing()
        )


def case_sources(session: Session, *, case_id: object) -> list[RowRef]:
    rows = session.execute(
        select(CaseSource.register, CaseSource.file_id, CaseSource.row_no)
        .where(CaseSource.case_id == case_id)
        .order_by(CaseSource.file_id, CaseSource.row_no)
    )
    return [RowRef(register, file_id, row_no) for register, file_id, row_no in rows]


def priority_groups(session: Session, *, campaign: str, child_key: str) -> tuple[str, ...]:
    """The child's priority groups in the campaign's current registers, in the order of
    PriorityCategory: the priority register's categories, and `alleviated` for a child on the
    alleviated register."""
    rows = session.execute(
        select(RegisterFile.register, RegisterRow.category)
        .join(RegisterFile, RegisterFile.id == RegisterRow.file_id)
        .where(
            RegisterFile.campaign == campaign,
            RegisterFile.current,
            RegisterFile.register.in_([RegisterKind.priority.value, RegisterKind.alleviated.value]),
            RegisterRow.child_key == child_key,
        )
    )
    found: list[str] = []
    for register, category in rows:
        words = (
            [PriorityCategory.alleviated.value] if register == RegisterKind.alleviated else (category or "").split(",")
        )
        found.extend(word for word in words if word and word not in found)
    order = list(PriorityCategory)
    return tuple(sorted(found, key=lambda word: order.index(PriorityCategory(word))))


@dataclass(frozen=True)
class ChildRow:
    register: str
    child_key: str
    file_id: int
    row_no: int
    township: str | None
    age: int | None
    status: str | None
    block_no: int | None
    cells_enc: bytes | None
    category: str | None = None
    """A priority register's row: its priority groups, comma-joined codes."""


def register_rows_as_of(
    session: Session, *, campaign: str, kinds: tuple[RegisterKind, ...], cutoff: dt.datetime | None
) -> list[ChildRow] | None:
    """The rows of these registers as they stood at `cutoff` (None: now); None when a register
    current then has since been replaced, its rows deleted (data minimisation), so that day
    cannot be shown. A register first imported after the cutoff did not exist then."""
    files = list(
        session.execute(
            select(RegisterFile.id, RegisterFile.register, RegisterFile.imported_at, RegisterFile.current).where(
                RegisterFile.campaign == campaign, RegisterFile.register.in_([k.value for k in kinds])
            )
        )
    )
    shown: list[int] = []
    for file_id, register, imported_at, current in files:
        if not current:
            continue
        if cutoff is None or imported_at <= cutoff:
            shown.append(file_id)
        elif any(r == register and not c and at <= cutoff for _i, r, at, c in files):
            return None
    rows = session.execute(
        select(
            RegisterFile.register,
            RegisterRow.child_key,
            RegisterRow.file_id,
            RegisterRow.row_no,
            RegisterRow.township,
            RegisterRow.age,
            RegisterRow.status,
            RegisterRow.block_no,
            RegisterRow.cells_enc,
            RegisterRow.category,
        )
        .join(RegisterFile, RegisterFile.id == RegisterRow.file_id)
        .where(RegisterRow.file_id.in_(shown))
        .order_by(RegisterRow.file_id, RegisterRow.row_no)
    )
    return [ChildRow(*tuple(row)) for row in rows]
