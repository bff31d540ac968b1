"""Reading a large xlsx sheet on two cores: its XML is cut at row boundaries into pieces while it
is inflated, each piece is read by calamine on a thread of its own (calamine parses without the
GIL), and the pieces' rows are put back together as calamine lays out the whole sheet
(docs/architecture.md, "Registers and discovery"). A county's household register is one sheet of
some 60 MB of XML; read whole it takes one core about a second.

Anything this does not expect — another container, a sheet in a namespace prefix, rows without a
row number, a comment or CDATA among the rows, a piece calamine refuses, rows out of order — and
the file is read whole as before (`sheet_pieces` answers None, or its pieces raise `NotInPieces`):
this is only ever a faster way to the same table."""

from __future__ import annotations

import io
import os
import posixpath
import resource
import struct
import threading
import zipfile
import zlib
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import Queue
from typing import Any
from xml.etree import ElementTree

from python_calamine import CalamineSheet, CalamineWorkbook

PIECE_BYTES = 8 * 1024**2
"""XML per piece: a 64 MB sheet is read in seven, some 30,000 rows each; a sheet under two
pieces' worth (16 MB, 50,000 rows) is read whole, in a fifth of a second."""
MAX_PIECES = 8
MAX_SHEET_BYTES = 256 * 1024**2
"""A larger sheet (some 800,000 rows) is read whole: its pieces would sit in memory beside the
rows calamine makes of them."""
CHUNK_BYTES = 1024**2
SPARE_ADDRESS_SPACE = 512 * 1024**2

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_SHEET_DATA, _ROW = b"<sheetData>", b"<row "
_SYNTHETIC_TAIL = b"</sheetData></worksheet>"
_LEFT_OUT = ("xl/worksheets/", "xl/media/", "xl/embeddings/", "xl/printerSettings/")
"""Parts no piece needs: the other sheets and what only a drawing or a printer reads."""


class NotInPieces(Exception):
    """This sheet is read whole."""


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def read_in_pieces(path: Path, sheet: str | None, piece_bytes: int = PIECE_BYTES) -> list[list[Any]] | None:
    """The sheet's table exactly as `to_python(skip_empty_area=False)` gives it for the whole
    sheet, or None where it is better or only possible to read the file whole."""
    pieces = sheet_pieces(path, sheet, piece_bytes)
    if pieces is None:
        return None
    try:
        return [row for piece in pieces for row in piece.rows]
    except NotInPieces:
        return None


@dataclass(frozen=True)
class SheetPiece:
    rows: list[list[Any]]
    """The next rows of the table, from where the piece before ended."""
    read: float
    """How much of the sheet is read with this piece (0–1): for progress."""


def sheet_pieces(
    path: Path, sheet: str | None, piece_bytes: int = PIECE_BYTES
) -> Generator[SheetPiece, None, None] | None:
    """The sheet's table in pieces, as `to_python(skip_empty_area=False)` lays out the whole sheet:
    rows from A1, each piece's rows where the one before ended. Once the last is taken, every row
    yielded is widened in place to the widest. None: read the file whole. While they are taken,
    `NotInPieces` says the same of a sheet found not to be cut after all (the rows taken before it
    are then to be thrown away)."""
    if cores() < 2:
        return None
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    try:
        name, part, pieces = _plan(archive, sheet, piece_bytes)
    except (NotInPieces, KeyError, ElementTree.ParseError, OSError, ValueError):
        archive.close()
        return None
    return _pieces(archive, name, part, pieces)


def _plan(archive: zipfile.ZipFile, sheet: str | None, piece_bytes: int) -> tuple[str, str, int]:
    """The sheet's name, its part, and how many pieces it is read in."""
    name, part = _sheet_part(archive, sheet)
    info = archive.getinfo(part)
    shared = next((i.file_size for i in archive.infolist() if i.filename == "xl/sharedStrings.xml"), 0)
    pieces = min(MAX_PIECES, info.file_size // piece_bytes)
    if shared * 8 > info.file_size:
        pieces = min(pieces, 2)  # every piece reads the shared strings again (Excel's, a third of a sheet)
    if pieces < 2 or info.file_size > MAX_SHEET_BYTES or not _room_for(info.file_size):
        raise NotInPieces
    return name, part, pieces


def _room_for(sheet_bytes: int) -> bool:
    """Whether this process's address space, where it is capped (the reader's is,
    `BAOXUE_REGISTER_MEMORY_BYTES`), has room for the pieces beside what reading whole needs:
    measured, a 64 MB sheet took 100 MB more at its peak in pieces; the threads' stacks and
    allocator arenas take address space too. A file that fits whole is never refused for its
    pieces."""
    cap, _ = resource.getrlimit(resource.RLIMIT_AS)
    if cap == resource.RLIM_INFINITY:
        return True
    try:
        used = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return False
    return cap - used > 8 * sheet_bytes + SPARE_ADDRESS_SPACE


def _pieces(archive: zipfile.ZipFile, name: str, part: str, pieces: int) -> Generator[SheetPiece, None, None]:
    """A thread of its own inflates and cuts the XML (zlib inflates without the GIL) and hands
    each piece to the readers as it is cut; the pieces are taken here in order, each while the
    ones after it are still being cut and read."""
    handed: Queue[tuple[Future[CalamineSheet], float] | BaseException | None] = Queue()
    stop = threading.Event()
    pool = ThreadPoolExecutor(min(cores(), pieces))
    info = archive.getinfo(part)

    def cut() -> None:
        try:
            others = [
                (i.filename, archive.read(i))
                for i in archive.infolist()
                if i.filename != part and not i.filename.startswith(_LEFT_OUT) and not i.is_dir()
            ]
            for xml, done in _cut(archive, info, info.file_size // pieces + 1):
                if stop.is_set():
                    return
                handed.put((pool.submit(_read_piece, _stored_zip([*others, (part, xml)]), name), done / info.file_size))
            handed.put(None)
        except BaseException as exc:  # handed to the reader of the pieces
            handed.put(exc)

    cutter = threading.Thread(target=cut, name="sheet-cutter", daemon=True)
    cutter.start()
    try:
        yield from _laid_out(handed)
    except (NotInPieces, MemoryError):
        raise
    except Exception as exc:  # a piece calamine refuses: the whole file's reading says why
        raise NotInPieces from exc
    finally:
        stop.set()
        cutter.join()
        pool.shutdown(cancel_futures=True)
        archive.close()


def _sheet_part(archive: zipfile.ZipFile, sheet: str | None) -> tuple[str, str]:
    """The chosen sheet's name (the first where none is named) and the part that holds it."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    sheets = [(s.get("name", ""), s.get(_R_ID, "")) for s in workbook.iter(f"{_MAIN}sheet")]
    chosen = next((s for s in sheets if s[0] == sheet), None) if sheet else (sheets[0] if sheets else None)
    if chosen is None:
        raise NotInPieces
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target", "") for r in relations.iter(f"{_RELS}Relationship") if r.get("Id") == chosen[1]), "")
    part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    if not part.startswith("xl/worksheets/"):
        raise NotInPieces
    return chosen[0], part


def _cut(archive: zipfile.ZipFile, info: zipfile.ZipInfo, piece_bytes: int) -> Iterator[tuple[list[bytes], int]]:
    """The sheet's XML as pieces while it is inflated, each a whole sheet of its own: the part's
    head (to `<sheetData>`), whole rows, and an end; with each, the bytes of XML read so far.
    The first pieces are a quarter the size of the rest: the rows are taken from the first
    piece on, which is read sooner."""
    head: bytes | None = None
    rows = bytearray()
    inflated = 0
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(CHUNK_BYTES)
            inflated += len(chunk)
            seam = len(rows)
            rows += chunk
            if head is None:
                at = rows.find(_SHEET_DATA)
                if at < 0:
                    if not chunk or len(rows) > CHUNK_BYTES * 4:
                        raise NotInPieces
                    continue
                head, seam = bytes(rows[: at + len(_SHEET_DATA)]), 0
                del rows[: at + len(_SHEET_DATA)]
            if _markup(rows, max(0, seam - 1)):
                raise NotInPieces
            if not chunk:
                yield [head, bytes(rows)], inflated
                return
            while len(rows) >= (size := piece_bytes if inflated > piece_bytes else piece_bytes // 4):
                cut = rows.rfind(_ROW, 1, size)
                if cut < 0:
                    cut = rows.find(_ROW, size)  # a row longer than a piece
                    if cut < 0:
                        break
                if rows.find(b' r="', cut, rows.find(b">", cut)) < 0:
                    raise NotInPieces
                piece = bytes(memoryview(rows)[:cut])
                del rows[:cut]
                yield [head, piece, _SYNTHETIC_TAIL], inflated - len(rows)


def _markup(xml: bytearray, start: int) -> bool:
    """Whether a comment, CDATA or processing instruction (`<!`, `<?`) begins at or after
    `start`: a row cut there might not be a row. Searched by its rarer second byte (an XML's every
    tenth byte is a `<`)."""
    for mark in b"!?":
        at = xml.find(mark, start)
        while at >= 0:
            if at > 0 and xml[at - 1] == ord("<"):
                return True
            at = xml.find(mark, at + 1)
    return False


def _read_piece(workbook: bytes, name: str) -> CalamineSheet:
    return CalamineWorkbook.from_filelike(io.BytesIO(workbook)).get_sheet_by_name(name)


def _laid_out(handed: Queue[tuple[Future[CalamineSheet], float] | BaseException | None]) -> Iterator[SheetPiece]:
    """The pieces' rows laid out from A1, as calamine lays out a whole sheet: rows before a piece's
    first and columns left of it filled with empty cells, and (after the last) every row as wide
    as the widest."""
    taken: list[list[list[Any]]] = []
    height, width = 0, 0
    while (next_piece := handed.get()) is not None:
        if isinstance(next_piece, BaseException):
            raise next_piece
        future, done = next_piece
        sheet = future.result()
        start, end = sheet.start, sheet.end
        if start is None or end is None:
            continue
        if start[0] < height:
            raise NotInPieces  # rows out of order: only the whole sheet lays them out
        rows = sheet.to_python(skip_empty_area=True)
        if start[1]:
            rows = [[""] * start[1] + row for row in rows]
        rows[:0] = [[""] * width for _ in range(start[0] - height)]
        height, width = end[0] + 1, max(width, end[1] + 1)
        taken.append(rows)
        yield SheetPiece(rows, done)
    for rows in taken:
        for row in rows:
            if len(row) < width:
                row.extend([""] * (width - len(row)))


def _stored_zip(members: list[tuple[str, bytes | list[bytes]]]) -> bytes:
    """A zip of the members as they are (stored, not deflated): what calamine needs to read a
    piece, made in one copy."""
    out: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for name, content in members:
        chunks = content if isinstance(content, list) else [content]
        crc, size = 0, 0
        for chunk in chunks:
            crc, size = zlib.crc32(chunk, crc), size + len(chunk)
        encoded = name.encode()
        sizes = (crc, size, size, len(encoded))
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, 0, 0, 0x21, *sizes, 0) + encoded
        directory.append(
            struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, 0, 0, 0x21, *sizes, 0, 0, 0, 0, 0, offset)
            + encoded
        )
        out += [local, *chunks]
        offset += len(local) + size
    listing = b"".join(directory)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(listing), offset, 0)
    return b"".join([*out, listing, end])
