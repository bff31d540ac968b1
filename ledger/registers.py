"""Registers in the ledger: storing an imported file's rows, replacing an older version, and
reading the current rows of a campaign back for discovery."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import any_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from domain.aid_rules import education_stage, is_arranged, paid_date
from domain.campaign import CampaignSpec
from domain.discovery import RegisterColumns, RowRef
from domain.registers import (
    Column,
    ParsedRegister,
    PriorityCategory,
    RegisterKind,
    attendance_of,
    normalise_header,
    priority_categories,
)
from ledger.models import CaseSource, RegisterFile, RegisterReject, RegisterRow
from ledger.personal import PersonalDataCipher


@dataclass(frozen=True)
class StoredImport:
    file_id: int
    replaced: int


def previous_import(session: Session, *, campaign: str, kind: RegisterKind, digest: str) -> RegisterFile | None:
    return session.scalars(
        select(RegisterFile).where(
            RegisterFile.campaign == campaign, RegisterFile.register == kind.value, RegisterFile.content_hash == digest
        )
    ).one_or_none()


class RuleCells:
    """The cells of a row that discovery's rules read, found once per file by their column: kept
    in plain columns (no one is identified by them) so discovery need not decrypt any row."""

    def __init__(self, parsed: ParsedRegister, campaign: CampaignSpec) -> None:
        self._headers = {
            column: normalise_header(parsed.headers[position]) or f"col{position + 1}"
            for column, position in parsed.columns.items()
        }
        self._none = campaign.arrangement_none
        self._attendance = parsed.kind == RegisterKind.attendance

    def _cell(self, cells: dict[str, str], column: Column) -> str | None:
        header = self._headers.get(column)
        return cells.get(header) if header else None

    def values(
        self, cells: dict[str, str]
    ) -> tuple[bool, str | None, str | None, dt.date | None, str | None, str | None]:
        """(has_arrangement, education_stage, aid_item, paid_on, status, category); columns a
        register lacks cost nothing."""
        headers = self._headers
        arranged = Column.arrangement in headers and is_arranged(self._cell(cells, Column.arrangement), self._none)
        stage = (
            education_stage(self._cell(cells, Column.education_level)) if Column.education_level in headers else None
        )
        item = self._cell(cells, Column.aid_item)
        paid = paid_date(self._cell(cells, Column.paid_on)) if Column.paid_on in headers else None
        status = attendance_of(self._cell(cells, Column.status)).value if self._attendance else None
        found = priority_categories(self._cell(cells, Column.category)) if Column.category in headers else ()
        category = ",".join(found)[:64] or None
        return (
            arranged,
            stage.value if stage else None,
            "".join(item.split())[:64] if item else None,
            paid,
            status,
            category,
        )


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
) -> StoredImport:
    """Store a new version of a register for the campaign; older versions stop being current and
    their rows are deleted (data minimisation), their file records kept for the record. `ages`:
    each valid row's age on the campaign's reference date, worked out for the file at once."""
    rule_cells = RuleCells(parsed, campaign)
    older = list(
        session.scalars(
            select(RegisterFile.id).where(
                RegisterFile.campaign == campaign.name,
                RegisterFile.register == parsed.kind.value,
                RegisterFile.current,
            )
        )
    )
    if older:
        session.execute(update(RegisterFile).where(RegisterFile.id.in_(older)).values(current=False))
        session.execute(delete(RegisterRow).where(RegisterRow.file_id.in_(older)))
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
        )
        .returning(RegisterFile.id)
    )
    assert file_id is not None
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(
            "COPY register_rows (file_id, row_no, child_key, township, age,"
            " has_arrangement, education_stage, aid_item, paid_on, status, category, cells_enc) FROM STDIN"
        ) as copy:
            for i, (row_no, id_number, township, age) in enumerate(
                zip(parsed.row_nos, parsed.id_numbers, parsed.townships, ages, strict=True)
            ):
                cells = parsed.cells(i)
                copy.write_row(
                    (
                        file_id,
                        row_no,
                        cipher.child_key(id_number),
                        township,
                        age,
                        *rule_cells.values(cells),
                        cipher.encrypt_json(cells, context=f"register:{file_id}:{row_no}"),
                    )
                )
        with cursor.copy(
            "COPY register_rejects (file_id, row_no, column_name, reason, value_masked) FROM STDIN"
        ) as copy:
            for rejection in parsed.rejections:
                copy.write_row((file_id, rejection.row_no, rejection.column, rejection.reason, rejection.value[:64]))
    return StoredImport(file_id=file_id, replaced=len(older))


def current_rows(session: Session, *, campaign: str) -> dict[RegisterKind, RegisterColumns]:
    found = {kind: RegisterColumns(kind.value) for kind in RegisterKind}
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
        )
        .join(RegisterFile, RegisterFile.id == RegisterRow.file_id)
        .where(RegisterFile.campaign == campaign, RegisterFile.current)
        .order_by(RegisterRow.file_id, RegisterRow.row_no)
    )
    for register, *values in session.execute(query):
        found[RegisterKind(register)].append(*values)
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
    """The decrypted cells of many rows, keyed by (file id, row number): one query per file."""
    by_file: dict[int, set[int]] = {}
    for ref in refs:
        by_file.setdefault(ref.file_id, set()).add(ref.row_no)
    found: dict[tuple[int, int], dict[str, str]] = {}
    for file_id, row_nos in by_file.items():
        query = select(RegisterRow.row_no, RegisterRow.cells_enc).where(
            RegisterRow.file_id == file_id, RegisterRow.row_no == any_(sorted(row_nos))
        )
        for row_no, blob in session.execute(query):
            found[(file_id, row_no)] = cipher.decrypt_json(blob, context=f"register:{file_id}:{row_no}")
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
    cells_enc: bytes


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
            RegisterRow.cells_enc,
        )
        .join(RegisterFile, RegisterFile.id == RegisterRow.file_id)
        .where(RegisterRow.file_id.in_(shown))
        .order_by(RegisterRow.file_id, RegisterRow.row_no)
    )
    return [ChildRow(*row) for row in rows]
