"""`school add|import|list`: the county's schools, who report attendance every month."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.case_commands import AsOption, JsonOption, invocation
from cli.errors import bad_input
from cli.http import LONG_SECONDS
from cli.output import Col, echo, print_json, print_table
from cli.session import signed_server
from domain.i18n import _
from domain.labels import choice_help, label
from domain.messages import t
from domain.parsing import parse_word

school_app = typer.Typer(help=_("全县学校：每月报告在校情况的单位。"), no_args_is_help=True)
STAGES = ("primary", "junior", "nine_year", "special")


@school_app.command("add")
def school_add(
    typer_ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help=_("学校名称"))],
    township: Annotated[str, typer.Option("--township", help=_("所在乡镇（街道）"))],
    stage: Annotated[str | None, typer.Option("--stage", help=choice_help(_("学段"), "school_stage"))] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """新增或更新一所学校（系统管理员）；不给学段时按校名推断。"""
    body = {"name": name, "township": township, "stage": parse_word("school_stage", stage, "--stage")}
    saved = signed_server(invocation(typer_ctx, actor)).request("POST", "/api/schools", body=body)
    if as_json:
        print_json(saved)
        return
    key = "school_added" if saved["added"] else "school_updated"
    echo(t(key, name=saved["name"], township=saved["township"], stage=_stage(saved["stage"])))


@school_app.command("import")
def school_import(
    typer_ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help=_("学校名单（xlsx 或 csv：学校名称、乡镇（街道）、学段）"))],
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """从名单导入学校（系统管理员）；有误的行连同行号和原因列出。"""
    if not file.is_file():
        raise bad_input(t("file_missing", path=file))
    summary = signed_server(invocation(typer_ctx, actor)).request(
        "POST", "/api/schools/import", query={"file_name": file.name}, raw=file.read_bytes(), timeout=LONG_SECONDS
    )
    if as_json:
        print_json(summary)
        return
    echo(t("schools_imported", added=summary["added"], updated=summary["updated"], rejected=len(summary["rejected"])))
    for rejected in summary["rejected"]:
        echo(t("schools_rejected_row", row=rejected["row"], reason=rejected["reason"]))


@school_app.command("list")
def school_list(typer_ctx: typer.Context, actor: AsOption = None, as_json: JsonOption = False) -> None:
    """本人范围内的学校（系统管理员和县级人员：全县）。"""
    rows = signed_server(invocation(typer_ctx, actor)).request("GET", "/api/schools")
    if as_json:
        print_json(rows)
        return
    columns = (Col(_("乡镇（街道）"), keep=True), Col(_("学校"), keep=True), Col(_("学段")))
    print_table(columns, [(r["township"], r["name"], _stage(r["stage"])) for r in rows])


def _stage(stage: str | None) -> str:
    return label("school_stage", stage) if stage else "—"
