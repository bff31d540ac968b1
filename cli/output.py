"""Printing: JSON for machines, tables for people. Tables fit 80 columns without cutting what
people copy or look for (case numbers, names, townships, times): those columns never wrap; the
others wrap, and low-value ones appear only with `--wide`. rich is imported only to draw."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.terminal import echo, print_json
from domain.text import visible

__all__ = ["Col", "echo", "print_fields", "print_json", "print_table"]


@dataclass(frozen=True)
class Col:
    header: str
    keep: bool = False
    """Never cut or wrapped: a case number, a name, a township, a time."""
    wide: bool = False
    """Shown only with --wide."""


def print_table(columns: Sequence[Col], rows: Sequence[Sequence[Any]], *, wide: bool = False) -> None:
    from rich import box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table

    shown = [i for i, col in enumerate(columns) if wide or not col.wide]
    cells = [["" if row[i] is None else visible(str(row[i])) for i in shown] for row in rows]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1))
    for position, i in enumerate(shown):
        col = columns[i]
        widest = max(
            [cell_len(line) for cell in cells for line in cell[position].splitlines()] + [cell_len(col.header)]
        )
        table.add_column(col.header, no_wrap=col.keep, overflow="fold", min_width=widest if col.keep else None)
    for row in cells:
        table.add_row(*row)
    Console(soft_wrap=False, width=100_000 if wide else None).print(table)


def print_fields(rows: Sequence[tuple[str, Any]]) -> None:
    """One record as label / value lines (case show, one township's chain)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE, show_header=False, show_edge=False, pad_edge=False, padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(key, "" if value is None else visible(str(value)))
    Console(soft_wrap=False).print(table)
