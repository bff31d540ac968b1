"""Reading a register as an office keeps it (xlsx, or csv in UTF-8 or GB18030), finding its
header row and columns by name, and validating every row: a bad row is kept with its row
number, column and reason, never dropped."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from itertools import chain, compress, count, repeat
from operator import is_, is_not, not_
from pathlib import Path
from typing import Any, cast

from domain.id_number import mask_id_number, mask_long_digits
from domain.registers import (
    HEADER_LABELS,
    REGISTERS,
    Column,
    ParsedRegister,
    RegisterKind,
    Rejection,
    ValidRow,
    cell_text,
    column_for,
    column_values,
)
from domain.roster import Roster, UnknownTownshipError
from domain.text import CONTROL_CHARACTERS
from starter.id_batch import normalise_ids
from starter.sheet_pieces import NotInPieces, SheetPiece, read_in_pieces, sheet_pieces

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


@dataclass(frozen=True)
class TableCaps:
    """How far a register's table may reach (`BAOXUE_REGISTER_MAX_ROWS`, `…_MAX_COLUMNS`): a
    county's household register is a few hundred thousand rows of a dozen columns."""

    rows: int = 1_000_000
    columns: int = 256


MAX_EXPANSION = 100
"""How many times larger than its compressed size a part of a workbook may be (real sheets: 5–20)."""
MAX_UNPACKED = 1024**3
SPARSE_CELLS = 2_000_000
"""Cells a sheet may declare whatever its size (a sparse sheet with blank areas)."""


def check_workbook(path: Path, caps: TableCaps = TableCaps()) -> None:
    """A cheap look before a workbook is read: the sizes its parts unpack to and the area each
    sheet declares. A crafted file (a cell at XFD1048576, a part that unpacks a thousandfold) is
    refused here rather than allowed to take the server's memory."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return  # not a zip (xls): the reader says what it is
    with archive:
        parts = archive.infolist()
        if sum(part.file_size for part in parts) > MAX_UNPACKED:
            raise RegisterFileError("too_large", f"{path.name}: unpacks to more than {MAX_UNPACKED // 1024**2} MB")
        for part in parts:
            if part.file_size > 1024**2 and part.file_size > MAX_EXPANSION * max(1, part.compress_size):
                raise RegisterFileError(
                    "too_large", f"{path.name}: {part.filename} unpacks {part.file_size // part.compress_size}-fold"
                )
            if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
                with archive.open(part) as sheet_xml:
                    head = sheet_xml.read(4096).decode("utf-8", "replace")
                    if _DIMENSION.search(head) is None:
                        head = _farthest_cell(head.encode(), sheet_xml)
                _check_dimension(path.name, head, part.file_size, caps)


_DIMENSION = re.compile(r'<dimension ref="(?:[A-Z]+[0-9]+:)?([A-Z]+)([0-9]+)"')
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')


def _farthest_cell(start: bytes, rest: Any) -> str:
    """A sheet that declares no area (Excel always does; a crafted file may not) is scanned for
    the farthest cell it names, in 1 MB pieces, and that area is checked as if declared: the
    reader would lay out every cell up to it."""
    rows, columns, letters = 0, 0, "A"
    carry = start
    while True:
        for found in _CELL_REF.finditer(carry):
            column_letters, row = found.group(1).decode(), int(found.group(2))
            width = 0
            for letter in column_letters:
                width = width * 26 + ord(letter) - ord("A") + 1
            rows = max(rows, row)
            if width > columns:
                columns, letters = width, column_letters
        piece = rest.read(1 << 20)
        if not piece:
            break
        carry = carry[-32:] + piece
    return f'<dimension ref="{letters}{max(rows, 1)}"'


def _check_dimension(name: str, head: str, xml_bytes: int, caps: TableCaps) -> None:
    """The area a sheet declares: within the caps, and not far beyond what its XML could hold (a
    reader lays out every declared cell; a real cell takes some twenty bytes of XML)."""
    found = _DIMENSION.search(head)
    if found is None:
        return
    letters, rows = found.groups()
    columns = 0
    for letter in letters:
        columns = columns * 26 + ord(letter) - ord("A") + 1
    declared = int(rows) * columns
    if int(rows) > caps.rows or columns > caps.columns or declared > max(SPARSE_CELLS, xml_bytes):
        at_most = f"{caps.rows} rows, {caps.columns} columns at most"
        raise RegisterFileError("too_large", f"{name}: a sheet reaches {letters}{rows} ({at_most})")


def _check_table(name: str, table: list[list[Any]], caps: TableCaps) -> list[list[Any]]:
    """What was read stays within the caps too (a csv declares nothing; a sheet may hide its area)."""
    if len(table) > caps.rows or max(map(len, table), default=0) > caps.columns:
        widest = max(map(len, table), default=0)
        at_most = f"{caps.rows} rows, {caps.columns} columns at most"
        raise RegisterFileError("too_large", f"{name}: {len(table)} rows, {widest} columns ({at_most})")
    return table


def read_table(
    path: Path, sheet: str | None = None, caps: TableCaps = TableCaps(), *, in_pieces: bool = True
) -> list[list[Any]]:
    suffix = path.suffix.lower()
    try:
        if suffix in SPREADSHEET_SUFFIXES:
            from python_calamine import CalamineWorkbook

            check_workbook(path, caps)
            pieces = read_in_pieces(path, sheet) if in_pieces else None
            if pieces is not None:
                return _check_table(path.name, pieces, caps)
            workbook = CalamineWorkbook.from_path(str(path))
            try:
                chosen = workbook.get_sheet_by_name(sheet) if sheet else workbook.get_sheet_by_index(0)
            except Exception as exc:
                raise RegisterFileError("sheet", f"{sheet} ({'、'.join(workbook.sheet_names)})") from exc
            return _check_table(path.name, chosen.to_python(skip_empty_area=False), caps)
        if suffix in {".csv", ".txt"}:
            text = decode_csv(path.read_bytes())
            return _check_table(path.name, [list(row) for row in csv.reader(io.StringIO(text))], caps)
    except (RegisterFileError, MemoryError):
        raise
    except Exception as exc:
        raise RegisterFileError("unreadable", f"{path.name}: {exc}") from exc
    raise RegisterFileError("format", f"{path.name}: xlsx or csv expected")


def read_register(
    path: Path,
    kind: RegisterKind,
    roster: Roster,
    *,
    sheet: str | None = None,
    caps: TableCaps = TableCaps(),
    on_progress: Callable[[int, int], None] | None = None,
) -> ParsedRegister:
    """`read_table` and `parse_register` at once: a large sheet read in pieces on other threads
    is validated piece by piece while the pieces after it are still being read
    (docs/architecture.md, "Registers and discovery"). `on_progress`: rows checked of the rows
    the file is thought to hold."""
    pieces = None
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        try:
            check_workbook(path, caps)
        except RegisterFileError:
            raise
        except Exception as exc:
            raise RegisterFileError("unreadable", f"{path.name}: {exc}") from exc
        pieces = sheet_pieces(path, sheet)
    if pieces is not None:
        try:
            with closing(pieces):
                return _validated(path.name, pieces, kind, roster, caps, on_progress)
        except NotInPieces:
            pass  # read whole below, the rows checked so far thrown away
    table = read_table(path, sheet, caps, in_pieces=False)
    total = max(1, len(table))
    return parse_register(table, kind, roster, (lambda done: on_progress(done, total)) if on_progress else None)


def _validated(
    name: str,
    pieces: Iterator[SheetPiece],
    kind: RegisterKind,
    roster: Roster,
    caps: TableCaps,
    on_progress: Callable[[int, int], None] | None,
) -> ParsedRegister:
    validation: RegisterValidation | None = None
    first: list[list[Any]] = []
    rows, widest = 0, 0
    for piece in pieces:
        rows, widest = rows + len(piece.rows), max(widest, max(map(len, piece.rows), default=0))
        if rows > caps.rows or widest > caps.columns:
            at_most = f"{caps.rows} rows, {caps.columns} columns at most"
            raise RegisterFileError("too_large", f"{name}: {rows} rows, {widest} columns ({at_most})")
        if validation is not None:
            validation.add(piece.rows)
        else:
            first += piece.rows
            if len(first) < HEADER_SEARCH_ROWS:
                continue
            validation = RegisterValidation(first, kind, roster)
        if on_progress is not None:
            on_progress(validation.rows_read, max(validation.rows_read, int(rows / max(piece.read, 1e-9))))
    if validation is None:
        validation = RegisterValidation(first, kind, roster)
    if on_progress is not None:
        on_progress(rows, max(1, rows))
    return validation.finished()


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


def _masked(value: str) -> str:
    compact = "".join(value.split())
    return mask_id_number(compact) if len(compact) >= 8 else "*" * len(compact)


def _all_text(values: list[object]) -> bool:
    return set(map(type, values)) <= {str}


def _texts(values: list[object]) -> list[str]:
    """The cells as text: a column of text as it is (the usual case, and no copy)."""
    if _all_text(values):
        return cast(list[str], values)
    return [v if type(v) is str else cell_text(v) for v in values]


def _no_name(value: object) -> bool:
    """What `parse_register` rejects as a missing name: an empty or blank cell, or one that reads
    as nothing (a 0 a spreadsheet put there)."""
    return not value or (type(value) is str and value.isspace())


def _blank(value: object) -> bool:
    return value is None or (value.isspace() or not value if type(value) is str else not cell_text(value))


def _controlled_cells(body: list[list[object]], headers: list[str]) -> dict[int, str]:
    """Rows with a control character in any text cell, each with the first such cell's header (a
    line break a spreadsheet wrote as CR LF is a line break, not a control). One search over each
    column's text; the rows are looked at only in a column where it finds one. First, where every
    cell is text (as a csv's are), one search over all of them: the usual register has none."""
    try:
        if not CONTROL_CHARACTERS.search("\n".join(chain.from_iterable(cast(list[list[str]], body)))):
            return {}
    except TypeError:  # a number or a date among the cells: column by column
        pass
    found: dict[int, str] = {}
    for at, header in enumerate(headers):
        texts = [value for value in column_values(body, at) if type(value) is str]
        if not CONTROL_CHARACTERS.search("\n".join(texts)):
            continue
        for i, value in enumerate(column_values(body, at)):
            if type(value) is str and CONTROL_CHARACTERS.search(value.replace("\r\n", "\n")):
                found.setdefault(i, header or f"col{at + 1}")
    return found


def parse_register(
    table: list[list[object]],
    kind: RegisterKind,
    roster: Roster,
    on_progress: Callable[[int], None] | None = None,
) -> ParsedRegister:
    """Validate every row, column by column: the ID numbers as one batch, townships through a
    cache of the names seen, names for presence. Blank rows are skipped and counted."""
    if on_progress is not None:
        on_progress(len(table) // 2)
    validation = RegisterValidation(table, kind, roster)
    if on_progress is not None:
        on_progress(len(table))
    return validation.finished()


class RegisterValidation:
    """A register validated piece by piece as its rows arrive (`add`), each piece column by
    column: what `parse_register` gives for the whole table, whatever the cuts. The first piece
    holds the header (the first HEADER_SEARCH_ROWS rows at least, or the whole table)."""

    def __init__(self, first: list[list[object]], kind: RegisterKind, roster: Roster) -> None:
        header_index, columns = find_header(first, kind)
        self._spec = REGISTERS[kind]
        self._roster = roster
        self._header_row = first[header_index]
        self._next_row_no = header_index + 2
        self._townships: dict[object, str | None] = {}
        self.parsed = ParsedRegister(kind, header_index + 1, columns, [])
        self.add(first[header_index + 1 :])

    def add(self, rows: list[list[object]]) -> None:
        parsed, columns = self.parsed, self.parsed.columns
        filled = list(map(any, rows))
        body = list(compress(rows, filled))
        row_nos = list(compress(range(self._next_row_no, self._next_row_no + len(rows)), filled))
        self._next_row_no += len(rows)
        parsed.blank_rows += len(rows) - len(body)
        raw_ids = _texts(column_values(body, columns[Column.id_number]))
        ids, id_errors = normalise_ids(raw_ids)
        names = column_values(body, columns.get(Column.name)) if Column.name in self._spec.required else None
        township_at = columns.get(Column.township)
        township_required = Column.township in self._spec.required
        raw_townships = column_values(body, township_at) if township_at is not None else None
        townships: list[str | None] = [None] * len(body)
        if raw_townships is not None:
            known = self._townships
            for raw in set(raw_townships) - known.keys():
                text = raw if type(raw) is str else cell_text(raw)
                try:
                    known[raw] = self._roster.canonical_township(text) if text.strip() else None
                except UnknownTownshipError:
                    known[raw] = None
            townships = [known[raw] for raw in raw_townships]
        bad = set(compress(count(), map(is_not, id_errors, repeat(None))))
        if names is not None:
            if _all_text(names):
                bad.update(compress(count(), map(not_, map(str.strip, cast(list[str], names)))))
            else:
                bad.update(i for i, name in enumerate(names) if _no_name(name))
        widest = max(len(self._header_row), max(map(len, body), default=0))
        headers = [cell_text(h) for h in self._header_row] + [""] * (widest - len(self._header_row))
        controlled = _controlled_cells(body, headers)
        bad.update(controlled)
        if raw_townships is not None and township_required:
            bad.update(compress(count(), map(is_, townships, repeat(None))))
        ok = [True] * len(body)
        for i in bad:
            ok[i] = False
        parsed.row_nos += compress(row_nos, ok)
        parsed.id_numbers += cast(list[str], list(compress(ids, ok)))  # a row kept has a valid ID number
        parsed.townships += compress(townships, ok)
        parsed.raw_rows += compress(body, ok)
        id_label, name_label, township_label = (
            HEADER_LABELS[Column.id_number],
            HEADER_LABELS[Column.name],
            HEADER_LABELS[Column.township],
        )
        for i in sorted(bad):
            row_no = row_nos[i]
            if id_errors[i] is not None:
                parsed.rejections.append(Rejection(row_no, id_label, id_errors[i] or "", _masked(raw_ids[i])))
            if names is not None and _no_name(names[i]):
                parsed.rejections.append(Rejection(row_no, name_label, "missing", ""))
            if i in controlled:
                parsed.rejections.append(Rejection(row_no, controlled[i], "control_characters", ""))
            if raw_townships is not None and township_required and townships[i] is None:
                raw = cell_text(raw_townships[i])
                reason = "unknown_township" if raw else "missing"
                parsed.rejections.append(Rejection(row_no, township_label, reason, mask_long_digits(raw)))
            parsed.rejected_rows += 1

    @property
    def rows_read(self) -> int:
        return self._next_row_no - 1

    def finished(self) -> ParsedRegister:
        """The register validated; its headers as wide as its widest row (a table read in pieces
        is widened once its last piece is read)."""
        self.parsed.headers = [cell_text(h) for h in self._header_row]
        return self.parsed


def valid_row_records(parsed: ParsedRegister) -> list[ValidRow]:
    """The valid rows as records, their cells as text (for storing and for reading in tests)."""
    return [
        ValidRow(row_no, id_number, township, parsed.cells(i))
        for i, (row_no, id_number, township) in enumerate(
            zip(parsed.row_nos, parsed.id_numbers, parsed.townships, strict=True)
        )
    ]
