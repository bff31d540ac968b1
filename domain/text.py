"""Characters that must not reach a terminal as they are. Standard library only."""

from __future__ import annotations

import re

CONTROL_CHARACTERS = re.compile("[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]")
"""C0 but tab and newline, DEL, C1, and the bidirectional marks, overrides and isolates: characters
that can repaint a terminal or reorder what a reader sees."""


def visible(text: str) -> str:
    r"""The text with every control character shown as its escape (`\u001b`), so that what was
    stored can be read and never acts on the terminal; inside JSON the escape reads back as the
    character it stands for."""
    return CONTROL_CHARACTERS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
