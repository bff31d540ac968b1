"""Printing: JSON for machines, tables for people (rich, imported only when a table is drawn)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, show_header: bool = True) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*headers, show_header=show_header)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    Console().print(table)


def echo(text: str) -> None:
    sys.stdout.write(text + "\n")
