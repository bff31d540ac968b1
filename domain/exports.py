"""Cells of the files baoxue writes for people to open in a spreadsheet (rejects, suspect lists)."""

from __future__ import annotations

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text that a spreadsheet would run as a formula is written with a leading apostrophe
    (OWASP, "CSV injection"); numbers and other text are left as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: list[object]) -> list[object]:
    return [safe_cell(value) for value in values]
