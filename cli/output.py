"""Printing: JSON for machines, tables for people. Tables fit the terminal (80 columns unless it
says otherwise) without cutting what people copy or look for (case numbers, names, townships,
times): those columns never wrap; no column is narrower than its longest word or label; a time
stays whole with its `+08:00`; wrapped text never starts a line with punctuation (domain/layout.py).
Low-value columns appear only with `--wide`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.layout import display_width, wrap
from domain.messages import t
from domain.terminal import echo, print_json, terminal_width, write_lines
from domain.text import visible

__all__ = ["Col", "echo", "print_fields", "print_json", "print_notices", "print_table"]

GAP = "  "
LONGEST_WORD = 24
"""A word wider than this (a long path or note without spaces) may be broken inside a column."""
LABEL = 16
"""A run of Chinese up to this wide is a label (入户走访, 梅子垭镇·临时) and stays whole; a longer
run is a sentence and may break between any two characters."""
_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?\+08:00")


def print_notices(codes: Sequence[str]) -> None:
    """What the server said beside its answer (domain/wire.py, HEADER_NOTICE), one line each."""
    for code in codes:
        echo(t(code))


@dataclass(frozen=True)
class Col:
    header: str
    keep: bool = False
    """Never cut or wrapped: a case number, a name, a township, a time."""
    wide: bool = False
    """Shown only with --wide."""


def _narrowest(lines: Sequence[str]) -> int:
    """The width below which a column would break a word, a label or a time."""
    words = [word for line in lines for word in _TIME.sub(lambda m: "x" * len(m[0]), line).split()]
    return min(max([_unbroken(word) for word in words] + [1]), LONGEST_WORD)


def _unbroken(word: str) -> int:
    if display_width(word) <= LABEL:
        return display_width(word)
    return max([len(run) for run in re.findall(r"[\x21-\x7e]+", word)] + [2])


def _header_floor(header: str) -> int:
    """A header may break before an opening bracket: 乡镇（街道） over two lines."""
    return max(display_width(piece) for piece in re.split(r"(?=[（(])", header) if piece)


def _widths(headers: Sequence[str], cells: Sequence[Sequence[str]], keep: Sequence[bool], room: int) -> list[int]:
    """Each column's width: kept columns their widest cell, the others what is left, shared one
    column at a time to whichever is furthest from its widest line, never below its longest word."""
    count = len(headers)
    lines = [[line for row in cells for line in row[i].splitlines()] for i in range(count)]
    widest = [max([display_width(line) for line in lines[i]] + [display_width(headers[i])]) for i in range(count)]
    floors = [
        max([display_width(line) for line in lines[i]] + [0] if keep[i] else [_narrowest(lines[i])])
        for i in range(count)
    ]
    widths = [max(floors[i], _header_floor(headers[i])) for i in range(count)]
    spare = room - sum(widths)
    while spare > 0:
        short = [i for i in range(count) if widths[i] < widest[i]]
        if not short:
            break
        neediest = max(short, key=lambda i: (widest[i] - widths[i]) / widest[i])
        widths[neediest] += 1
        spare -= 1
    return widths


def _cell_lines(text: str, width: int) -> list[str]:
    """A cell's text in lines of `width` columns; a time is one word."""
    out = []
    for line in text.splitlines() or [""]:
        if display_width(line) <= width:
            out.append(line)
            continue
        glued = _TIME.sub(lambda m: m[0].replace(" ", "\ue000"), line)
        out.extend(piece.replace("\ue000", " ") for piece in wrap(glued, width))
    return out


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def print_table(columns: Sequence[Col], rows: Sequence[Sequence[Any]], *, wide: bool = False) -> None:
    shown = [i for i, col in enumerate(columns) if wide or not col.wide]
    headers = [columns[i].header for i in shown]
    cells = [["" if row[i] is None else visible(str(row[i])) for i in shown] for row in rows]
    room = 100_000 if wide else terminal_width()
    keep = [columns[i].keep for i in shown]
    gap = GAP
    widths = _widths(headers, cells, keep, room - len(gap) * (len(shown) - 1))
    if sum(widths) + len(gap) * (len(shown) - 1) > room:
        gap = " "
        widths = _widths(headers, cells, keep, room - len(gap) * (len(shown) - 1))
    lines = _row_lines([_header_lines(h, w) for h, w in zip(headers, widths, strict=True)], widths, gap)
    lines.append(gap.join("─" * w for w in widths))
    for row in cells:
        lines.extend(_row_lines([_cell_lines(c, w) for c, w in zip(row, widths, strict=True)], widths, gap))
    write_lines("\n".join(lines))


def _header_lines(header: str, width: int) -> list[str]:
    if display_width(header) <= width:
        return [header]
    return [piece for piece in re.split(r"(?=[（(])", header) if piece]


def _row_lines(cells: list[list[str]], widths: list[int], gap: str) -> list[str]:
    height = max((len(cell) for cell in cells), default=0)
    parts = [[cell[n] if n < len(cell) else "" for cell in cells] for n in range(height)]
    return [gap.join(_pad(p, w) for p, w in zip(line, widths, strict=True)).rstrip() for line in parts]


def print_fields(rows: Sequence[tuple[str, Any]]) -> None:
    """One record as label / value lines (case show, one township's chain)."""
    labelled = [(key, "" if value is None else visible(str(value))) for key, value in rows]
    label_width = max((display_width(key) for key, _ in labelled), default=0)
    room = max(terminal_width() - label_width - display_width(GAP), 20)
    lines = []
    for key, value in labelled:
        for n, line in enumerate(_cell_lines(value, room)):
            lines.append((_pad(key if n == 0 else "", label_width) + GAP + line).rstrip())
    write_lines("\n".join(lines))
