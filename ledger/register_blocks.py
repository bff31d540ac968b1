"""A register's cells at rest: consecutive valid rows sealed together, a block at a time.

One AES-GCM seal per row made the seal, its random nonce and the row's bytea most of an import's
cost (200,000 rows); a block of `BLOCK_ROWS` rows is one seal and one `register_blocks` row. A
block is bound to its file and number (associated data), so it cannot be moved; the rows' plain
columns say which block holds their cells. Reading a row decrypts its block once per reader;
forgetting a child (retention) seals its blocks again without the child's rows. Rows imported
before blocks existed keep their own sealed cells (`register_rows.cells_enc`) and are read as
before (docs/architecture.md, "Registers and discovery")."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from domain.registers import cell_text, column_values, row_cells
from ledger.models import RegisterBlock
from ledger.personal import PersonalDataCipher

BLOCK_ROWS = 500
_JSON_KEEPS = frozenset({str, int, float, bool, type(None)})
"""Cell types that come back from JSON as they went in, so `cell_text` reads them as before."""


def block_context(file_id: int, block_no: int) -> str:
    return f"register-block:{file_id}:{block_no}"


def row_context(file_id: int, row_no: int) -> str:
    """The associated data of a row sealed alone (before blocks)."""
    return f"register:{file_id}:{row_no}"


def json_ready(rows: list[list[object]]) -> list[list[object]]:
    """The rows as JSON keeps them: a column holding dates or times (which JSON would turn into
    ISO strings of another shape) is turned into text as `cell_text` shows it; the other cells
    stay as they are, and are turned into text when read."""
    if set(map(type, chain.from_iterable(rows))) <= _JSON_KEEPS:
        return rows
    width = max(map(len, rows), default=0)
    dated = [at for at in range(width) if not set(map(type, column_values(rows, at))) <= _JSON_KEEPS]
    ready = []
    for row in rows:
        row = list(row)
        for at in dated:
            if at < len(row):
                row[at] = cell_text(row[at])
        ready.append(row)
    return ready


def sealed_block(
    cipher: PersonalDataCipher,
    *,
    file_id: int,
    block_no: int,
    keys: list[str],
    row_nos: list[int],
    rows: list[list[object]],
) -> bytes:
    """The cells of up to BLOCK_ROWS consecutive valid rows (row i of a file is in block
    i // BLOCK_ROWS), sealed to the block's place."""
    block = {"keys": keys, "row_nos": row_nos, "rows": json_ready(rows)}
    return cipher.encrypt_json(block, context=block_context(file_id, block_no))


class RegisterCells:
    """Rows' decrypted cells, each block fetched and decrypted once for this reader."""

    def __init__(self, session: Session, cipher: PersonalDataCipher) -> None:
        self._session = session
        self._cipher = cipher
        self._blocks: dict[tuple[int, int], tuple[list[str], dict[int, list[Any]]]] = {}

    def load(self, blocks: Iterable[tuple[int, int]]) -> None:
        """Fetch and decrypt these (file id, block number) at once, those not read yet."""
        wanted = sorted(set(blocks) - self._blocks.keys())
        if not wanted:
            return
        found = self._session.execute(
            select(RegisterBlock.file_id, RegisterBlock.block_no, RegisterBlock.cells_enc).where(
                tuple_(RegisterBlock.file_id, RegisterBlock.block_no).in_(wanted)
            )
        )
        for file_id, block_no, blob in found:
            block = self._cipher.decrypt_json(blob, context=block_context(file_id, block_no))
            self._blocks[(file_id, block_no)] = (block["keys"], dict(zip(block["row_nos"], block["rows"], strict=True)))

    def block(self, file_id: int, block_no: int) -> tuple[list[str], dict[int, list[Any]]]:
        """The block's header keys and its rows by row number (none: a block that is not there)."""
        if (file_id, block_no) not in self._blocks:
            self.load([(file_id, block_no)])
        return self._blocks.get((file_id, block_no), ([], {}))

    def of(self, file_id: int, row_no: int, block_no: int | None, cells_enc: bytes | None) -> dict[str, str]:
        """The row's non-empty cells under their normalised headers."""
        if block_no is None:
            return self._cipher.decrypt_json(cells_enc, context=row_context(file_id, row_no))
        keys, rows = self.block(file_id, block_no)
        row = rows.get(row_no)
        return row_cells(keys, row) if row is not None else {}


def forget_rows(session: Session, cipher: PersonalDataCipher, rows: Iterable[tuple[int, int, int]]) -> int:
    """Seal again, without these (file id, block number, row number), the blocks that held them;
    returns how many blocks changed."""
    by_block: dict[tuple[int, int], set[int]] = {}
    for file_id, block_no, row_no in rows:
        by_block.setdefault((file_id, block_no), set()).add(row_no)
    reader = RegisterCells(session, cipher)
    reader.load(by_block)
    for (file_id, block_no), gone in by_block.items():
        keys, held = reader.block(file_id, block_no)
        kept = [row_no for row_no in held if row_no not in gone]
        cells = sealed_block(
            cipher, file_id=file_id, block_no=block_no, keys=keys, row_nos=kept, rows=[held[n] for n in kept]
        )
        session.execute(
            update(RegisterBlock)
            .where(RegisterBlock.file_id == file_id, RegisterBlock.block_no == block_no)
            .values(cells_enc=cells)
        )
    return len(by_block)
