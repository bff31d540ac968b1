"""Lines and JSON on standard output: what the client's commands and the host's commands both
print with. Nothing stored is printed raw: control characters are shown escaped. Standard
library only."""

from __future__ import annotations

import json
import shutil
import sys
from typing import Any

from domain.layout import display_width, wrap
from domain.text import visible


def print_json(value: Any) -> None:
    sys.stdout.write(visible(json.dumps(value, ensure_ascii=False, indent=2, default=str)) + "\n")
    sys.stdout.flush()


def terminal_width() -> int:
    return shutil.get_terminal_size((80, 24)).columns


def echo(text: str) -> None:
    """A message for a person: lines wider than the terminal wrapped between words or Chinese
    characters (never before punctuation), a path or an address kept whole on a line of its own."""
    width = terminal_width()
    lines = [
        piece
        for line in visible(text).split("\n")
        for piece in ([line] if display_width(line) <= width else wrap(line, width, break_words=False))
    ]
    sys.stdout.write("\n".join(lines) + "\n")


def write_lines(text: str) -> None:
    """Lines already laid out for the terminal (a table)."""
    sys.stdout.write(visible(text) + "\n")
