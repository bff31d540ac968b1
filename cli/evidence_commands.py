"""佐证资料 from the officer's machine: files uploaded with a step (`--evidence-file`), listed and
fetched with `case evidence` (docs/cli.md, "Evidence")."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Annotated

import typer

from cli.case_commands import AsOption, CaseArg, JsonOption, invocation
from cli.errors import bad_input
from cli.evidence_upload import evidence_path
from cli.output import Col, echo, print_json, print_table
from cli.session import signed_server
from domain.beijing import shown
from domain.i18n import _
from domain.messages import t


def evidence(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    get: Annotated[int | None, typer.Option("--get", min=1, help=_("取回第 N 份（见列表的序号）"))] = None,
    out: Annotated[Path | None, typer.Option("--out", help=_("取回的文件保存到哪里"))] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """列出案件的佐证资料，或用 --get N --out 文件 取回一份（按权限范围，留痕）。"""
    server = signed_server(invocation(typer_ctx, actor))
    if get is None:
        rows = server.request("GET", evidence_path(case_ref))
        if as_json:
            print_json(rows)
            return
        columns = (
            Col(_("序号")),
            Col(_("类型")),
            Col(_("大小")),
            Col(_("上传人"), keep=True),
            Col(_("上传时间"), keep=True),
            Col("SHA-256", wide=True),
        )
        table = [
            (r["n"], r["media_type"], r["size"], r["uploaded_by"], shown(r["uploaded_at"]), r["sha256"]) for r in rows
        ]
        print_table(columns, table)
        return
    if out is None:
        raise bad_input(t("bad_value", option="--out", value="''"))
    fetched = server.request("GET", f"{evidence_path(case_ref)}/{get}")
    data = base64.b64decode(fetched.pop("content_base64"))
    if hashlib.sha256(data).hexdigest() != fetched["sha256"]:
        raise bad_input(t("bad_value", option="--get", value=str(get)))
    out.expanduser().write_bytes(data)
    if as_json:
        print_json({**fetched, "out": str(out)})
        return
    echo(t("evidence_saved", path=str(out), size=len(data), sha256=fetched["sha256"]))
