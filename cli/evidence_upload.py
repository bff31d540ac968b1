"""Uploading 佐证资料 with a step (`--evidence-file`): each file checked here first (type by
content, size), then sent to the case on the server, which names it by id and SHA-256."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer

from cli.errors import bad_input
from cli.http import LONG_SECONDS
from cli.session import Invocation, signed_server
from domain.evidence import MAX_EVIDENCE_BYTES, media_type_of
from domain.i18n import _
from domain.messages import t

EvidenceFileOption = Annotated[
    list[Path] | None,
    typer.Option("--evidence-file", help=_("佐证资料文件（JPG、PNG 或 PDF，每个不超过 10 MB），可重复")),
]


def evidence_path(case_ref: str) -> str:
    return f"/api/cases/{quote(case_ref.strip(), safe='')}/evidence"


def read_evidence(paths: list[Path]) -> list[bytes]:
    """Each file's bytes, checked here first (type by content, size) so nothing is half-sent."""
    contents = []
    for path in paths:
        try:
            data = path.expanduser().read_bytes()
        except OSError:
            raise bad_input(t("evidence_missing_file", path=str(path))) from None
        if not data or len(data) > MAX_EVIDENCE_BYTES:
            raise bad_input(t("evidence_too_large", size=len(data), limit=MAX_EVIDENCE_BYTES // (1024 * 1024)))
        if media_type_of(data) is None:
            raise bad_input(t("evidence_wrong_type"))
        contents.append(data)
    return contents


def upload_evidence(inv: Invocation, case_ref: str, paths: list[Path] | None) -> list[dict[str, Any]]:
    """Upload the step's files to the case; what the step then names: each file's id and SHA-256."""
    if not paths:
        return []
    contents = read_evidence(paths)
    server = signed_server(inv)
    stored = [server.request("POST", evidence_path(case_ref), raw=data, timeout=LONG_SECONDS) for data in contents]
    return [{"id": row["id"], "sha256": row["sha256"]} for row in stored]
