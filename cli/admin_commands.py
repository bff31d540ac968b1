"""`campaign …`, `import`, `discover`, `retention run`, `roster …`: administration, asked of the server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.case_commands import AsOption, JsonOption, WideOption, invocation
from cli.errors import bad_input
from cli.http import LONG_SECONDS
from cli.jobs import follow_job
from cli.output import Col, echo, print_fields, print_json, print_table
from cli.session import signed_server
from domain.beijing import shown
from domain.enums import CaseKind
from domain.i18n import N_, _, translate
from domain.labels import choice_help, label
from domain.messages import t
from domain.parsing import parse_word

campaign_app = typer.Typer(help=_("排查活动：基准日、清零期限、各阶段时限。"), no_args_is_help=True)
retention_app = typer.Typer(help=_("个人信息的保存期限。"), no_args_is_help=True)
roster_app = typer.Typer(help=_("包片责任制一览表（花名册）。"), no_args_is_help=True)

REGISTER_KINDS = ("household", "enrollment", "attendance", "alleviated", "aid", "disability", "priority")


@campaign_app.command("add")
def campaign_add(
    typer_ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help=_("排查活动 YAML 文件"))],
    actor: AsOption = None,
) -> None:
    """新增排查活动，或替换同名活动（系统管理员）。"""
    if not file.is_file():
        raise bad_input(t("file_missing", path=file))
    body = {"file_name": file.name, "text": file.read_text(encoding="utf-8")}
    saved = signed_server(invocation(typer_ctx, actor)).request("POST", "/api/campaigns", body=body)
    echo(t("campaign_saved", name=saved["name"]))
    if saved.get("aid_rule") is False:
        echo(t("campaign_no_aid_rule", name=saved["name"]))
    if saved.get("rechecks"):
        echo(t("campaign_rechecks", name=saved["name"]))
    if saved.get("calendar_note"):
        echo(saved["calendar_note"])


@campaign_app.command("list")
def campaign_list(
    typer_ctx: typer.Context, wide: WideOption = False, actor: AsOption = None, as_json: JsonOption = False
) -> None:
    """全部排查活动；当前活动（--campaign 的默认值）标 *。"""
    rows = signed_server(invocation(typer_ctx, actor)).request("GET", "/api/campaigns")
    if as_json:
        print_json(rows)
        return
    columns = (
        Col(_("当前")),
        Col(_("名称"), keep=True),
        Col(_("基准日"), keep=True),
        Col(_("清零期限"), keep=True),
        Col(_("计时")),
        Col(_("说明"), wide=True),
    )
    table = [
        (
            "*" if r["current"] else "",
            r["name"],
            r["reference_date"],
            shown(r["clearance_deadline"]),
            label("calendar", r["calendar"]),
            r.get("description") or "",
        )
        for r in rows
    ]
    print_table(columns, table, wide=wide)


def import_(
    typer_ctx: typer.Context,
    register: Annotated[str, typer.Argument(metavar="REGISTER", help=choice_help(_("登记表"), "register"))],
    file: Annotated[Path, typer.Argument(help=_("xlsx，或 UTF-8 / GB18030 编码的 csv"))],
    campaign: Annotated[str | None, typer.Option("--campaign", help=_("排查活动（默认：当前活动）"))] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help=_("工作表名（默认第一个）"))] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help=_("即使没有有效行、或有效行远少于现用版本，也以此替换"))
    ] = False,
    school: Annotated[str | None, typer.Option("--school", help=_("这份表只代表这所学校（只替换该校的行）"))] = None,
    township: Annotated[
        str | None, typer.Option("--township", help=_("这份表只代表这个乡镇（替换该乡镇及其学校的行）"))
    ] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """导入一份登记表；每个退回行连同行号和原因保留，退回清单存在原文件旁。

    系统管理员导入各类登记表，默认代表全县；学校专干导入本校、乡镇负责人导入本乡镇的在校生名单，只替换其行。"""
    register = parse_word("register", register, "REGISTER", REGISTER_KINDS) or register
    if not file.is_file():
        raise bad_input(t("file_missing", path=file))
    query = {
        "file_name": file.name,
        "campaign": campaign,
        "sheet": sheet,
        "replace": "true" if replace else None,
        "school": school,
        "township": township,
    }
    server = signed_server(invocation(typer_ctx, actor))
    started = server.request(
        "POST",
        f"/api/registers/{register}",
        query={**query, "follow": "true"},
        raw=file.read_bytes(),
        timeout=LONG_SECONDS,
    )
    summary = follow_job(server, started, draw=sys.stdout.isatty() and not as_json)
    rejects_csv = summary.pop("rejects_csv", None)
    summary["file"] = str(file)
    if rejects_csv is not None:
        local = file.with_name(f"{file.name}.rejects.csv")
        local.write_text(rejects_csv, encoding="utf-8-sig")
        summary["rejects_file"] = str(local)
    if as_json:
        print_json(summary)
        return
    register_name = label("register", register)
    if summary["unchanged"]:
        echo(t("import_unchanged", file=file.name, register=register_name, campaign=summary["campaign"]))
        return
    if summary.get("reinstated"):
        echo(t("import_reinstated", file=file.name, register=register_name, campaign=summary["campaign"]))
    if summary.get("scope_unit"):
        echo(t("import_scope_unit", unit=summary["scope_unit"]))
    if summary.get("schools_added"):
        echo(t("import_schools_added", count=summary["schools_added"]))
    for flag in summary.get("xueji_flags") or []:
        status = label("attendance", flag["status"])
        echo(t("import_xueji_flag", case_no=flag["case_no"], township=flag["township"], status=status))
    echo(
        t(
            "import_done",
            register=register_name,
            rows=summary["rows"],
            valid=summary["valid"],
            rejected=summary["rejected_rows"],
            campaign=summary["campaign"],
        )
    )
    if summary["rejected_rows"]:
        echo(t("import_rejects", path=summary["rejects_file"]))


def discover_(
    typer_ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option("--campaign", help=_("排查活动（默认：当前活动）"))] = None,
    township: Annotated[str | None, typer.Option("--township", help=_("只比对该乡镇（街道）"))] = None,
    apply: Annotated[bool, typer.Option("--apply", help=_("把疑似对象立案（系统管理员；默认只试运行）"))] = False,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64, help=_("同时立案数"))] = 8,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """比对登记表找出疑似对象；--apply 立案（重复执行不会重复立案）。疑似名单存入当前目录。"""
    body = {"campaign": campaign, "township": township, "apply": apply, "concurrency": concurrency, "follow": True}
    server = signed_server(invocation(typer_ctx, actor))
    started = server.request("POST", "/api/discover", body=body)
    result = follow_job(server, started, draw=sys.stdout.isatty() and not as_json)
    result["job"] = started["job"]
    report_csv = result.pop("report_csv", None)
    if report_csv is not None:
        local = Path.cwd() / Path(result["report_file"]).name
        local.write_text(report_csv, encoding="utf-8-sig")
        result["report_file"] = str(local)
    if as_json:
        print_json(result)
        return
    print_table(
        (Col(_("乡镇（街道）"), keep=True), *(Col(label("kind", kind.value)) for kind in CaseKind)),
        [(name, *(counts[kind.value] for kind in CaseKind)) for name, counts in result["by_township"].items()],
    )
    counts = result["suspected"]
    echo(
        t(
            "discover_summary",
            campaign=result["campaign"],
            dropout=counts["dropout"],
            funding=counts["funding"],
            disability=counts["disability"],
            rejected=result["rejected_rows"],
            path=result["report_file"],
        )
    )
    if result.get("attendance_missing"):
        echo(t("discover_attendance_missing", townships="、".join(result["attendance_missing"])))
    if result.get("review"):
        echo(t("discover_review", count=result["review"]))
    if result.get("aid_rule") is False:
        echo(t("campaign_no_aid_rule", name=result["campaign"]))
    if apply:
        applied = {"opened": result["opened"], "reopened": result.get("reopened", 0), "already": result["already_open"]}
        echo(t("discover_applied", **applied))


def verify(
    typer_ctx: typer.Context,
    cases: Annotated[list[str] | None, typer.Argument(metavar="CASE", help=_("只核对这些案件（默认全部）"))] = None,
    repair: Annotated[bool, typer.Option("--repair", help=_("修复能修复的差异（每处修复都记入案件与审计）"))] = False,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """核对每件案件的工作流与台账（系统管理员）；列出每处差异，有未修复的差异时退出码为 1。"""
    body = {"repair": repair, "cases": [c.strip() for c in cases or []]}
    result = signed_server(invocation(typer_ctx, actor)).request("POST", "/api/verify", body=body, timeout=LONG_SECONDS)
    unrepaired = [d for d in result["differences"] if not d["repaired"]]
    if as_json:
        print_json(result)
    else:
        columns = (Col(_("案件编号"), keep=True), Col(_("问题")), Col(_("详情")), Col(_("已修复")))
        rows = [
            (d["case_no"], label("verify_problem", d["problem"]), d["detail"], "✓" if d["repaired"] else "")
            for d in result["differences"]
        ]
        if rows:
            print_table(columns, rows)
        echo(
            t("verify_done", cases=result["cases"], differences=len(result["differences"]), repaired=result["repaired"])
        )
    if unrepaired:
        raise typer.Exit(1)


@retention_app.command("run")
def retention_run(
    typer_ctx: typer.Context,
    older_than: Annotated[int | None, typer.Option("--older-than", min=0, help=_("销号后天数"))] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=_("只统计，不改动"))] = False,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """匿名化销号超过保存期限的案件（系统管理员；默认 BAOXUE_RETENTION_DAYS）。"""
    body = {"older_than": older_than, "dry_run": dry_run}
    result = signed_server(invocation(typer_ctx, actor)).request(
        "POST", "/api/retention", body=body, timeout=LONG_SECONDS
    )
    if as_json:
        print_json(result)
        return
    key = "retention_dry" if dry_run else "retention_done"
    echo(t(key, days=result["older_than_days"], cases=result["cases"], students=result["students"]))


ROSTER_COLUMNS = (
    Col(N_("乡镇（街道）"), keep=True),
    Col(N_("组别")),
    Col(N_("责任组长"), keep=True),
    Col(N_("责任片区"), wide=True),
    Col(N_("责任科室")),
    Col(N_("责任人"), keep=True),
    Col(N_("督导办公室"), wide=True),
    Col(N_("督导办责任人"), keep=True),
)
ROSTER_KEYS = ("township", "group", "group_leader", "area", "section", "section_chief", "office", "office_head")


@roster_app.command("show")
def roster_show(
    typer_ctx: typer.Context,
    township: Annotated[str | None, typer.Argument(help=_("乡镇（街道），可省略“镇/乡/街道”"))] = None,
    wide: WideOption = False,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """某乡镇的责任链，或整张表。"""
    answer = signed_server(invocation(typer_ctx, actor)).request("GET", "/api/roster", query={"township": township})
    if township is not None:
        if as_json:
            print_json(answer)
        else:
            print_fields(
                [(translate(col.header), answer[key]) for col, key in zip(ROSTER_COLUMNS, ROSTER_KEYS, strict=True)]
            )
        return
    if as_json:
        print_json(answer["chains"])
        return
    columns = [Col(translate(c.header), keep=c.keep, wide=c.wide) for c in ROSTER_COLUMNS]
    print_table(columns, [[c[key] for key in ROSTER_KEYS] for c in answer["chains"]], wide=wide)


@roster_app.command("reload")
def roster_reload(typer_ctx: typer.Context, actor: AsOption = None) -> None:
    """把服务器上变更后的花名册发给每件在办案件（系统管理员）：此后的督办按新责任链。"""
    done = signed_server(invocation(typer_ctx, actor)).request("POST", "/api/roster/reload", timeout=LONG_SECONDS)
    echo(t("roster_reloaded", version=done["version"], signalled=done["signalled"], unchanged=done["unchanged"]))
