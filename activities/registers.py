"""Reading a register as an office keeps it (xlsx, or csv in UTF-8 or GB18030), finding its
header row and columns by name, and validating every row: a bad row is kept with its row
number, column and reason, never dropped."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Callable
from pathlib import Path

from domain.id_number import IdNumberError, mask_id_number, normalise_id_number
from domain.registers import (
    HEADER_LABELS,
    REGISTERS,
    Column,
    ParsedRegister,
    RegisterKind,
    Rejection,
    ValidRow,
    column_for,
    normalise_header,
)
from domain.roster import Roster, UnknownTownshipError

HEADER_SEARCH_ROWS = 30
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}


class RegisterFileError(Exception):
    """The file itself cannot be used: unreadable, or a required column is missing."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030, as both occur in Chinese offices."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise RegisterFileError("encoding", "neither UTF-8 nor GB18030") from exc


def read_table(path: Path, sheet: str | None = None) -> list[list[object]]:
    suffix = path.suffix.lower()
    try:
        if suffix in SPREADSHEET_SUFFIXES:
            from python_calamine import CalamineWorkbook

            workbook = CalamineWorkbook.from_path(str(path))
            try:
                chosen = workbook.get_sheet_by_name(sheet) if sheet else workbook.get_sheet_by_index(0)
            except Exception as exc:
                raise RegisterFileError("sheet", f"{sheet} ({'、'.join(workbook.sheet_names)})") from exc
            return chosen.to_python(skip_empty_area=False)
        if suffix in {".csv", ".txt"}:
            text = decode_csv(path.read_bytes())
            return [list(row) for row in csv.reader(io.StringIO(text))]
    except RegisterFileError:
        raise
    except Exception as exc:
        raise RegisterFileError("unreadable", f"{path.name}: {exc}") from exc
    raise RegisterFileError("format", f"{path.name}: xlsx or csv expected")


def find_header(table: list[list[object]], kind: RegisterKind) -> tuple[int, dict[Column, int]]:
    """The first row (of the first few) that names every required column, wherever they stand."""
    spec = REGISTERS[kind]
    best: tuple[int, dict[Column, int]] = (-1, {})
    for index, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        columns: dict[Column, int] = {}
        for position, cell in enumerate(row):
            column = column_for(cell)
            if column is not None and column not in columns:
                columns[column] = position
        if all(c in columns for c in spec.required):
            return index, columns
        if len(columns) > len(best[1]):
            best = (index, columns)
    missing = [HEADER_LABELS[c] for c in spec.required if c not in best[1]]
    raise RegisterFileError("missing_columns", "、".join(missing))


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _masked(value: str) -> str:
    compact = "".join(value.split())
    return mask_id_number(compact) if len(compact) >= 8 else "*" * len(compact)


def parse_register(
    table: list[list[object]],
    kind: RegisterKind,
    roster: Roster,
    on_progress: Callable[[int], None] | None = None,
) -> ParsedRegister:
    header_index, columns = find_header(table, kind)
    spec = REGISTERS[kind]
    headers = [cell_text(h) for h in table[header_index]]
    parsed = ParsedRegister(kind, header_index + 1, columns, headers)
    id_at = columns[Column.id_number]
    name_at = columns.get(Column.name)
    township_at = columns.get(Column.township) if Column.township in spec.required else None
    need_name = Column.name in spec.required
    townships: dict[str, str | None] = {}
    keep = [(i, normalise_header(h) or f"col{i + 1}") for i, h in enumerate(headers)]
    for index in range(header_index + 1, len(table)):
        row = table[index]
        row_no = index + 1
        if on_progress is not None and index % 2000 == 0:
            on_progress(index)
        texts = [cell_text(v) for v in row]
        if not any(texts):
            parsed.blank_rows += 1
            continue
        problems: list[Rejection] = []
        raw_id = texts[id_at] if id_at < len(texts) else ""
        id_number = ""
        if not raw_id:
            problems.append(Rejection(row_no, HEADER_LABELS[Column.id_number], "missing", ""))
        else:
            try:
                id_number = normalise_id_number(raw_id)
            except IdNumberError as error:
                problems.append(Rejection(row_no, HEADER_LABELS[Column.id_number], error.code, _masked(raw_id)))
        if need_name and name_at is not None and not (texts[name_at] if name_at < len(texts) else ""):
            problems.append(Rejection(row_no, HEADER_LABELS[Column.name], "missing", ""))
        township: str | None = None
        if township_at is not None:
            raw_township = texts[township_at] if township_at < len(texts) else ""
            if raw_township not in townships:
                try:
                    townships[raw_township] = roster.canonical_township(raw_township) if raw_township else None
                except UnknownTownshipError:
                    townships[raw_township] = None
            township = townships[raw_township]
            if township is None:
                reason = "unknown_township" if raw_township else "missing"
                problems.append(Rejection(row_no, HEADER_LABELS[Column.township], reason, raw_township))
        if problems:
            parsed.rejections.extend(problems)
            parsed.rejected_rows += 1
            continue
        cells = {key: texts[i] for i, key in keep if i < len(texts) and texts[i]}
        parsed.rows.append(ValidRow(row_no, id_number, township, cells))
    if on_progress is not None:
        on_progress(len(table))
    return parsed
