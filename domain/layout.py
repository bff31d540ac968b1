"""Text laid out in display columns for a terminal: a Chinese character takes two, lines break
at spaces or between any two Chinese characters, never before closing punctuation (a line never
starts with "，" or "）") and never after opening punctuation. Standard library only: help pages
and tables both use it (docs/architecture.md, "For the people who use it")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

CLOSING = set("，。、；：？！）》」』】〕,.;:!?)]}%")
"""Punctuation that ends a phrase: a line never starts with it."""
OPENING = set("（《「『【〔([{")
"""Punctuation that opens a phrase: a line never ends with it."""
_TOKEN = re.compile(
    r"\s+|[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+"
)


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def is_wide(text: str) -> bool:
    return bool(text) and unicodedata.east_asian_width(text[0]) in "WF"


def join_lines(lines: Iterable[str]) -> str:
    """A paragraph's source lines as one: no space where both sides are Chinese."""
    joined = ""
    for line in (line.strip() for line in lines):
        if not line:
            continue
        if joined and not (is_wide(joined[-1]) and is_wide(line[0])):
            joined += " "
        joined += line
    return joined


def _pieces(token: str, width: int) -> list[str]:
    """A word wider than a whole line, in pieces that fit."""
    pieces, piece = [], ""
    for ch in token:
        if piece and display_width(piece + ch) > width:
            pieces.append(piece)
            piece = ""
        piece += ch
    return [*pieces, piece] if piece else pieces


def wrap(text: str, width: int, *, break_words: bool = True) -> list[str]:
    """One paragraph in lines of at most `width` columns; without `break_words` a word wider than
    a line (a path, an address) stays whole on a line of its own."""
    lines: list[list[str]] = [[]]
    used = 0
    tokens = [
        piece
        for token in _TOKEN.findall(join_lines(text.splitlines()))
        for piece in (_pieces(token, width) if break_words else [token])
    ]
    for token in tokens:
        line = lines[-1]
        if token.isspace():
            if line:
                line.append(" ")
                used += 1
            continue
        size = display_width(token)
        if used + size <= width:
            line.append(token)
            used += size
            continue
        while line and line[-1] == " ":
            line.pop()
        carried: list[str] = []
        if token[0] in CLOSING:
            while line and line[-1][0] in CLOSING:
                carried.insert(0, line.pop())
            if line:
                carried.insert(0, line.pop())
        while line and line[-1] in OPENING:
            carried.insert(0, line.pop())
        if not line and carried and len(carried[0]) > 1 and carried[0][0] not in CLOSING:
            line.append(carried[0][:-1])
            carried[0] = carried[0][-1]
        elif not line:
            line.extend(carried)
            carried = []
        lines.append([*carried, token])
        used = sum(display_width(part) for part in lines[-1])
    return ["".join(line).rstrip() for line in lines if line]
