"""Crafted workbooks for the register tests."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path


def without_dimension(source: Path, target: Path) -> Path:
    """The workbook with its sheets' declared areas taken out (Excel always writes one)."""
    with zipfile.ZipFile(source) as plain, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as hidden:
        for part in plain.infolist():
            data = plain.read(part)
            if part.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
            hidden.writestr(part, data)
    return target
