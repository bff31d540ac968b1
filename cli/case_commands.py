"""`case …` and `cases`: what officers do and what supervisors ask, sent to the server."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated, Any
from urllib.parse import quote

import typer

from cli.errors import EXIT_REFUSED, ClientError, bad_input
from cli.evidence_upload import EvidenceFileOption, read_evidence, upload_evidence
from cli.http import Server, sign_text
from cli.output import Col, echo, print_fields, print_json, print_notices, print_table
from cli.session import Invocation, signed_server
from domain.beijing import beijing_iso, china_today, shown
from domain.details import shown_details
from domain.enums import AidChannel, Arrangement, CaseKind, EducationLevel, ExcludeReason, Finding, Placement, Stage
from domain.errors import STEP_NAMES
from domain.i18n import _, translate
from domain.labels import choice_help, label
from domain.messages import t
from domain.parsing import (
    check_fields,
    check_purpose,
    parse_aid,
    parse_bool,
    parse_choice,
    parse_date,
    parse_id_number,
    parse_responsible,
    parse_word,
)
from domain.wire import canonical_json, step_message

case_app = typer.Typer(help=_("单个案件：立案、办理、查看。"), no_args_is_help=True)

CaseArg = Annotated[str, typer.Argument(metavar="CASE", help=_("案件编号（如 2026-000123）或工作流 ID"))]
AsOption = Annotated[str | None, typer.Option("--as", help=_("以本机档案中的哪个身份办理（BAOXUE_ACTOR）"))]
JsonOption = Annotated[bool, typer.Option("--json", help=_("输出 JSON"))]
WideOption = Annotated[bool, typer.Option("--wide", help=_("表格显示全部列（可能超过80列）"))]


def invocation(typer_ctx: typer.Context, actor: str | None) -> Invocation:
    return typer_ctx.obj.acting(actor)


def _case_path(ref: str) -> str:
    return f"/api/cases/{quote(ref.strip(), safe='')}"


def signed_step(server: Server, case_id: str, step_name: str, expected_seq: int, fields: dict[str, Any]) -> dict:
    """The officer's signature over this step for the case as it is now (docs/security.md)."""
    assert server.identity is not None
    at = dt.datetime.now(dt.UTC).isoformat()
    message = step_message(case_id, step_name, expected_seq, at, canonical_json(fields))
    signature = sign_text(server.identity, message)
    return {"fields": fields, "expected_seq": expected_seq, "signed_at": at, "signature": signature}


def send_signed(
    server: Server, case_ref: str, step_name: str, fields: dict[str, Any], *, path: str, beside: dict[str, Any]
) -> dict:
    """Sign the step against the case's current sequence number and post it (with `beside`, what
    travels next to the signed step) to `path`. If the case moved in between (an escalation),
    sign again once against the new number."""
    for attempt in range(2):
        where = server.request("GET", _case_path(case_ref) + "/step")
        body = {**signed_step(server, where["case_id"], step_name, where["last_seq"], fields), **beside}
        try:
            answer: dict = server.request("POST", _case_path(case_ref) + path, body=body)
            return answer
        except ClientError as error:
            if attempt == 0 and error.exit_code == EXIT_REFUSED and error.code == "stale_step":
                continue
            raise
    raise AssertionError("unreachable")


def run_step(inv: Invocation, case_ref: str, step_name: str, fields: dict[str, Any], as_json: bool) -> None:
    """Sign the step and send it (`send_signed`); say what happened."""
    clean = {k: v for k, v in fields.items() if v not in (None, [], "")}
    check_fields(clean)
    state = send_signed(signed_server(inv), case_ref, step_name, clean, path=f"/steps/{step_name}", beside={})
    if as_json:
        print_json(state)
        return
    if state.get("already_recorded"):
        echo(t("step_already_recorded", case_no=state["case_no"]))
        return
    step = translate(STEP_NAMES[step_name])
    echo(t("step_done", case_no=state["case_no"], step=step, stage=label("stage", state["stage"])))
    if state.get("ledger_pending"):
        echo(t("step_ledger_pending"))
    for warning in state.get("warnings", []):
        echo(warning)


def secret_value(value: str, prompt: str, *, hide: bool) -> str:
    """`-` reads the value from standard input (or asks on a terminal), so that it never appears in
    `ps` or the shell's history (docs/cli.md)."""
    if value != "-":
        return value
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt + "：") if hide else input(prompt + "：")
    line = sys.stdin.readline()
    if not line:
        raise bad_input(t("bad_value", option=prompt, value="''"))
    return line.rstrip("\n")


@case_app.command("open")
def open_(
    typer_ctx: typer.Context,
    kind: Annotated[str, typer.Option("--kind", help=choice_help(_("案件类别"), "kind"))],
    township: Annotated[str, typer.Option("--township", help=_("乡镇（街道），可省略“镇/乡/街道”"))],
    id_number: Annotated[
        str, typer.Option("--id-number", help=_("18位身份证号；“-”从标准输入读取（或在终端提示输入）"))
    ] = "-",
    name: Annotated[str, typer.Option("--name", help=_("儿童姓名；“-”从标准输入读取（或在终端提示输入）"))] = "-",
    village: Annotated[str | None, typer.Option("--village", help=_("村（社区）"))] = None,
    school: Annotated[str | None, typer.Option("--school", help=_("学校"))] = None,
    reason: Annotated[str | None, typer.Option("--reason", help=_("立案原因"))] = None,
    campaign: Annotated[str | None, typer.Option("--campaign", help=_("排查活动（默认：当前活动）"))] = None,
    from_county: Annotated[str | None, typer.Option("--from-county", help=_("外县转入：转出县名称"))] = None,
    reference: Annotated[
        str | None, typer.Option("--reference", help=_("外县转入：转入凭据（函件、学籍转接编号）"))
    ] = None,
    no_id_number: Annotated[
        bool,
        typer.Option(
            "--no-id-number",
            help=_("无身份证号（无户籍、未登记出生等）：姓名、出生日期、监护人、村（社区）逐行从标准输入读取"),
        ),
    ] = False,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """立案（一人一案）；同一儿童再次立案返回已有案件。外县转入的儿童写明 --from-county 和 --reference。

    没有身份证号的儿童用 --no-id-number 立案（临时身份），查到身份证号后用 case identify 补录。"""
    inv = invocation(typer_ctx, actor)
    case_kind = parse_choice(CaseKind, kind, "--kind")
    assert case_kind is not None
    if from_county and not (reference or "").strip():
        raise bad_input(t("from_county_reference"))
    if no_id_number:
        if id_number != "-":
            raise bad_input(t("no_id_number_with_id"))
        if name != "-" or village is not None:
            raise bad_input(t("no_id_number_options"))
        from cli.provisional_commands import open_provisional

        common = {"school": school, "reason": reason, "campaign": campaign, "from_county": from_county}
        check_fields({k: v for k, v in common.items() if v})
        open_provisional(
            inv, {"kind": case_kind.value, "township": township, "reference": reference, **common}, as_json
        )
        return
    id_text = secret_value(id_number, "身份证号", hide=True)
    normalised = parse_id_number(id_text)
    child_name = secret_value(name, "姓名", hide=False).strip()
    if not child_name:
        raise bad_input(t("bad_value", option="--name", value="''"))
    check_fields({"name": child_name, "village": village, "school": school, "reason": reason})
    body = {
        "kind": case_kind.value,
        "id_number": normalised,
        "name": child_name,
        "township": township,
        "village": village,
        "school": school,
        "reason": reason,
        "campaign": campaign,
        "from_county": from_county,
        "reference": reference,
    }
    result = signed_server(inv).request("POST", "/api/cases", body=body)
    if as_json:
        print_json(result)
        return
    if result["created"]:
        echo(t("case_opened", case_no=result["case_no"]))
        return
    echo(t("case_exists", kind=label("kind", case_kind.value), case_no=result["case_no"]))
    if result.get("mismatch"):
        fields = "、".join(t(f"mismatch_{field}") for field in result["mismatch"])
        echo(t("open_mismatch", case_no=result["case_no"], fields=fields))


@case_app.command("visit")
def visit(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    finding: Annotated[
        str,
        typer.Option("--finding", help=choice_help(_("走访结论"), "finding") + _("；下落不明的案件不排除，继续督办")),
    ],
    exclude_reason: Annotated[
        str | None,
        typer.Option(
            "--exclude-reason",
            help=choice_help(_("排除原因"), "exclude_reason"),
        ),
    ] = None,
    evidence_file: EvidenceFileOption = None,
    school: Annotated[str | None, typer.Option("--school", help=_("排除为异地就读、已迁出：现就读学校"))] = None,
    student_no: Annotated[str | None, typer.Option("--student-no", help=_("排除为异地就读、已迁出：学籍号"))] = None,
    note: Annotated[str | None, typer.Option("--note", help=_("走访记录"))] = None,
    visited_on: Annotated[str | None, typer.Option("--visited-on", help=_("走访日期 YYYY-MM-DD（默认今天）"))] = None,
    village: Annotated[str | None, typer.Option("--village", help=_("走访的村（社区）"))] = None,
    dropout_reason: Annotated[str | None, typer.Option("--dropout-reason", help=_("失学辍学：辍学原因"))] = None,
    cause: Annotated[
        str | None,
        typer.Option(
            "--cause",
            help=_("失学辍学：辍学原因类别（确认时必填），如 厌学、外出务工、早婚早育、家庭困难、身体原因、其他"),
        ),
    ] = None,
    disability_category: Annotated[str | None, typer.Option("--disability-category", help=_("残疾：残疾类别"))] = None,
    can_attend: Annotated[
        str | None, typer.Option("--can-attend", help=choice_help(_("残疾：能否到校"), "yes_no"))
    ] = None,
    household_verified: Annotated[
        str | None, typer.Option("--household-verified", help=choice_help(_("资助：家庭已核实"), "yes_no"))
    ] = None,
    education_level: Annotated[
        str | None,
        typer.Option("--education-level", help=choice_help(_("资助：教育阶段"), "education_level")),
    ] = None,
    aid_due: Annotated[str | None, typer.Option("--aid-due", help=choice_help(_("资助：应享受资助"), "yes_no"))] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """记录入户走访（实地走访）：确认；或排除，附佐证材料；或下落不明（案件继续督办）。"""
    visited = parse_date(visited_on, "--visited-on")
    if finding == Finding.excluded.value and not evidence_file:
        raise bad_input(t("exclusion_needs_evidence"))
    if exclude_reason in ("enrolled_elsewhere", "moved_out") and not (school and student_no):
        raise bad_input(t("exclusion_needs_school"))
    read_evidence(evidence_file or [])
    inv = invocation(typer_ctx, actor)
    fields: dict[str, Any] = {
        "finding": parse_choice(Finding, finding, "--finding"),
        "exclude_reason": parse_choice(ExcludeReason, exclude_reason, "--exclude-reason"),
        "note": note,
        "visited_on": visited.isoformat() if visited else None,
        "dropout_reason": dropout_reason,
        "dropout_cause": cause.strip() if cause else None,
        "disability_category": disability_category,
        "can_attend": parse_bool(can_attend, "--can-attend"),
        "household_verified": parse_bool(household_verified, "--household-verified"),
        "education_level": parse_choice(EducationLevel, education_level, "--education-level"),
        "aid_due": parse_bool(aid_due, "--aid-due"),
        "school": school,
        "student_no": student_no,
        "village": village.strip() if village else None,
    }
    if evidence_file:
        fields["evidence_files"] = upload_evidence(inv, case_ref, evidence_file)
    run_step(inv, case_ref, "visit", _plain(fields), as_json)


def _transfer_text(transfer: dict[str, Any] | None) -> str:
    if not transfer:
        return ""
    return t(
        "transfer_waiting",
        to=transfer["to"],
        at=shown(beijing_iso(dt.datetime.fromisoformat(transfer["requested_at"]))),
    )


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    """Enum members as their values: the fields are signed as JSON text."""
    return {k: (v.value if hasattr(v, "value") else v) for k, v in fields.items()}


@case_app.command("plan")
def plan(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    target_date: Annotated[str, typer.Option("--target-date", help=_("目标日期 YYYY-MM-DD"))],
    placement: Annotated[
        str | None,
        typer.Option("--placement", help=choice_help(_("失学辍学：安置去向"), "placement")),
    ] = None,
    arrangement: Annotated[
        str | None,
        typer.Option("--arrangement", help=choice_help(_("残疾：安置方式"), "arrangement")),
    ] = None,
    aid: Annotated[list[str] | None, typer.Option("--aid", help=_("资助：项目:金额，可重复"))] = None,
    channel: Annotated[str | None, typer.Option("--channel", help=choice_help(_("资助：发放渠道"), "channel"))] = None,
    procedure: Annotated[str | None, typer.Option("--procedure", help=_("残疾：办理程序"))] = None,
    measure: Annotated[list[str] | None, typer.Option("--measure", help=_("帮扶措施，可重复"))] = None,
    responsible: Annotated[
        list[str] | None,
        typer.Option("--responsible", help=_("包保责任人 姓名:职责（必填）；第一个为“1”，其后可重复为帮扶人“N”")),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help=_("休学/缓学：截止日期 YYYY-MM-DD，到期重新走访"))
    ] = None,
    approval: Annotated[str | None, typer.Option("--approval", help=_("休学/缓学：批准文件文号"))] = None,
    sessions_per_month: Annotated[
        int | None, typer.Option("--sessions-per-month", min=1, max=31, help=_("送教上门：每月次数（默认2次）"))
    ] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """记录复学方案（一生一策）：第一个 --responsible 为包保责任人“1”，其后为帮扶人“N”。"""
    if not responsible:
        raise bad_input(t("plan_needs_responsible"))
    target = parse_date(target_date, "--target-date")
    ends = parse_date(until, "--until")
    fields = {
        "target_date": target.isoformat() if target else None,
        "placement": parse_choice(Placement, placement, "--placement"),
        "arrangement": parse_choice(Arrangement, arrangement, "--arrangement"),
        "aid_items": parse_aid(aid or []),
        "channel": parse_choice(AidChannel, channel, "--channel"),
        "procedure": procedure,
        "measures": [m.strip() for m in measure or [] if m.strip()],
        "responsible": parse_responsible(responsible or []),
        "until": ends.isoformat() if ends else None,
        "approval": approval,
        "sessions_per_month": sessions_per_month,
    }
    run_step(invocation(typer_ctx, actor), case_ref, "plan", _plain(fields), as_json)


@case_app.command("confirm")
def confirm(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    evidence: Annotated[list[str] | None, typer.Option("--evidence", help=_("佐证资料编号，可重复"))] = None,
    school: Annotated[str | None, typer.Option("--school", help=_("就读学校"))] = None,
    on: Annotated[str | None, typer.Option("--on", help=_("日期 YYYY-MM-DD（默认今天）"))] = None,
    delivered_to: Annotated[
        str | None, typer.Option("--delivered-to", help=choice_help(_("资助：发放至"), "channel"))
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help=_("备注"))] = None,
    evidence_file: EvidenceFileOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """确认复学（劝返复学）、安置落实或资助到位，附佐证资料。"""
    day = parse_date(on, "--on")
    inv = invocation(typer_ctx, actor)
    read_evidence(evidence_file or [])
    fields = {
        "evidence": [e.strip() for e in evidence or [] if e.strip()],
        "evidence_files": upload_evidence(inv, case_ref, evidence_file),
        "school": school,
        "on": day.isoformat() if day else None,
        "delivered_to": parse_choice(AidChannel, delivered_to, "--delivered-to"),
        "note": note,
    }
    run_step(inv, case_ref, "confirm", _plain(fields), as_json)


@case_app.command("close")
def close(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    note: Annotated[str | None, typer.Option("--note", help=_("审核意见"))] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """销号：须由确认复学者以外的审核人办理（双人审核）。"""
    run_step(invocation(typer_ctx, actor), case_ref, "close", {"note": note}, as_json)


@case_app.command("reassign")
def reassign(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    to: Annotated[str, typer.Option("--to", help=_("本乡镇的另一名办案人员（姓名，重名时 姓名@乡镇 或编号）"))],
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """把案件改派给本乡镇的另一名办案人员。"""
    inv = invocation(typer_ctx, actor)
    target = signed_server(inv).request("GET", "/api/officers/resolve", query={"ref": to.strip()})
    run_step(inv, case_ref, "reassign", {"to": target}, as_json)


@case_app.command("follow-up")
def follow_up(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    attending: Annotated[
        str, typer.Option("--attending", help=choice_help(_("是否在校"), "yes_no") + _("；不在校即再次辍学，重新立案"))
    ],
    note: Annotated[str | None, typer.Option("--note", help=_("回访记录"))] = None,
    evidence: Annotated[list[str] | None, typer.Option("--evidence", help=_("佐证资料编号，可重复"))] = None,
    evidence_file: EvidenceFileOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """销号后的跟踪回访（动态监测）；不在校即重新立案。"""
    present = parse_bool(attending, "--attending")
    inv = invocation(typer_ctx, actor)
    fields = {
        "attending": present,
        "note": note,
        "evidence": [e.strip() for e in evidence or [] if e.strip()],
        "evidence_files": upload_evidence(inv, case_ref, evidence_file),
    }
    run_step(inv, case_ref, "follow_up", fields, as_json)


@case_app.command("session")
def session(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    on: Annotated[str | None, typer.Option("--on", help=_("送教日期 YYYY-MM-DD（默认今天）"))] = None,
    note: Annotated[str | None, typer.Option("--note", help=_("送教内容"))] = None,
    hours: Annotated[float | None, typer.Option("--hours", min=0.5, max=12, help=_("课时数"))] = None,
    evidence_file: EvidenceFileOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """记录一次送教上门；按活动规定的频次（每月次数），哪个月不够即督办，送教期间全年跟踪。"""
    day = parse_date(on, "--on") or china_today(dt.datetime.now(dt.UTC))
    read_evidence(evidence_file or [])
    inv = invocation(typer_ctx, actor)
    fields: dict[str, object] = {
        "on": day.isoformat(),
        "note": note,
        "evidence_files": upload_evidence(inv, case_ref, evidence_file),
    }
    if hours is not None:
        fields["hours"] = hours
    run_step(inv, case_ref, "session", fields, as_json)


ATTEMPT_METHODS = ("visit", "phone", "school", "village")


@case_app.command("attempt")
def attempt(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    by: Annotated[str, typer.Option("--by", help=_("劝返人 姓名:身份，如 王建国:村支书"))],
    method: Annotated[str, typer.Option("--method", help=choice_help(_("劝返方式"), "method"))],
    result: Annotated[str, typer.Option("--result", help=_("劝返结果"))],
    on: Annotated[str | None, typer.Option("--on", help=_("劝返日期 YYYY-MM-DD（默认今天）"))] = None,
    evidence_file: EvidenceFileOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """记录一次劝返（任一未结阶段，可多次）：谁、何时、以何方式、结果如何。"""
    name, _sep, role = by.replace("：", ":").partition(":")
    if not name.strip() or not role.strip():
        raise bad_input(t("bad_value", option="--by", value=f"{by} (NAME:ROLE)"))
    method = parse_word("method", method, "--method", ATTEMPT_METHODS) or method
    if not result.strip():
        raise bad_input(t("bad_value", option="--result", value=repr(result)))
    day = parse_date(on, "--on") or china_today(dt.datetime.now(dt.UTC))
    read_evidence(evidence_file or [])
    inv = invocation(typer_ctx, actor)
    fields = {
        "on": day.isoformat(),
        "persuader_name": name.strip(),
        "persuader_role": role.strip(),
        "method": method,
        "result": result.strip(),
        "evidence_files": upload_evidence(inv, case_ref, evidence_file),
    }
    run_step(inv, case_ref, "attempt", fields, as_json)


@case_app.command("note")
def note_(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    text: Annotated[str, typer.Argument(help=_("备注内容"))],
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """在任一未结阶段添加备注。"""
    if not text.strip():
        raise bad_input(t("bad_value", option="TEXT", value=repr(text)))
    run_step(invocation(typer_ctx, actor), case_ref, "note", {"text": text.strip()}, as_json)


@case_app.command("show")
def show(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    reveal: Annotated[
        bool, typer.Option("--reveal", help=_("显示完整姓名和身份证号（县级或本案责任链，须说明用途）"))
    ] = False,
    purpose: Annotated[str | None, typer.Option("--purpose", help=_("查看完整信息的用途（记入审计）"))] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """案件台账信息；身份证号默认遮蔽（每次查看均记入审计）。"""
    if reveal:
        purpose = check_purpose(purpose)
    server = signed_server(invocation(typer_ctx, actor))
    if reveal:
        summary = server.request("POST", _case_path(case_ref) + "/reveal", body={"purpose": purpose})
    else:
        summary = server.request("GET", _case_path(case_ref))
    if as_json:
        print_json(summary)
        return
    print_fields(case_fields(summary))


def case_fields(summary: dict[str, Any]) -> list[tuple[str, Any]]:
    """`case show` for people: every field labelled, values in the reader's language."""
    chain = summary.get("chain") or {}
    child = summary.get("child") or {}
    yes_no = {True: _("是"), False: _("否")}
    rows: list[tuple[str, Any]] = [
        (_("案件编号"), summary["case_no"]),
        (
            _("儿童"),
            f"{child.get('name', '')}  {child.get('id_number', '')}"
            + ("  " + _("（临时身份，未补录身份证号）") if child.get("provisional") else ""),
        ),
        (_("合并"), _merge_text(summary)),
        (_("类别"), label("kind", summary["kind"])),
        (_("乡镇（街道）"), f"{summary['township']}（{summary['group']}组）"),
        (
            _("阶段"),
            label("stage", summary["stage"]) + ("  " + _("（下落不明）") if summary.get("whereabouts_unknown") else ""),
        ),
        (_("办案人员"), summary.get("assigned_officer") or ""),
        (_("转出"), _transfer_text(summary.get("transfer"))),
        (_("立案时间"), shown(summary.get("opened_at"))),
        (
            _("本阶段期限"),
            shown(summary.get("due_at"))
            + ("  " + _("（按清零期限）") if summary.get("due_capped") else "")
            + ("  " + _("已逾期") if summary.get("overdue") else ""),
        ),
        (_("督办级别"), summary.get("escalation_level") if summary.get("escalation_level") is not None else ""),
        (_("下次督办"), shown(summary.get("next_escalation_at"))),
        (_("错过清零期限"), yes_no[bool(summary.get("missed_deadline"))]),
        (_("停滞"), yes_no[True] if summary.get("stalled") else ""),
        (_("销号时间"), shown(summary.get("closed_at"))),
        (_("结果"), label("outcome", summary.get("outcome"))),
        (_("第几次立案"), summary["episode"] if summary.get("episode", 1) > 1 else ""),
        (_("跟踪回访"), _watch_text(summary.get("monitoring"))),
        (
            _("责任链"),
            "、".join(
                f"{label('role', role)} {chain.get(role)}"
                for role in ("section_chief", "office_head", "group_leader")
                if chain.get(role)
            ),
        ),
        (_("立案信息"), shown_details(summary.get("intake"), skip=frozenset({"rows"}))),
        (_("入户走访"), shown_details(summary.get("visit"))),
        (_("复学方案"), shown_details(summary.get("plan"))),
        (_("复学确认"), shown_details(summary.get("confirmation"))),
        (_("来源"), "；".join(f"{label('register', s['register'])}:{s['row']}" for s in summary.get("sources") or [])),
        (_("排查活动"), summary.get("campaign")),
        (_("日历"), summary.get("calendar_note")),
        (_("花名册版本"), summary.get("roster_version")),
        (_("工作流"), summary.get("workflow_id")),
    ]
    return [(key, value) for key, value in rows if value not in (None, "")]


def _merge_text(summary: dict[str, Any]) -> str:
    if summary.get("merged_into"):
        return t("merged_flag", case_no=summary["merged_into"])
    if summary.get("merged_from"):
        return t("merged_from_flag", cases="、".join(summary["merged_from"]))
    return ""


def _watch_text(watch: dict[str, Any] | None) -> str:
    if not watch:
        return ""
    if watch["checks_left"] == 0:
        return _("休学/缓学至 {day}，届时重新走访").format(day=shown(watch["next_check_at"])[:10])
    return _("下次 {at}（已回访 {done} 次，还剩 {left} 次）").format(
        at=shown(watch["next_check_at"]), done=watch["checks_done"], left=watch["checks_left"]
    )


@case_app.command("history")
def history(typer_ctx: typer.Context, case_ref: CaseArg, actor: AsOption = None, as_json: JsonOption = False) -> None:
    """案件的每一步：谁、何时、做了什么。"""
    rows = signed_server(invocation(typer_ctx, actor)).request("GET", _case_path(case_ref) + "/history")
    if as_json:
        print_json(rows)
        return
    merged = any(row.get("from_merged_case") for row in rows)
    columns = (
        Col(_("序号"), keep=merged),
        Col(_("时间"), keep=True),
        Col(_("事项")),
        Col(_("人员"), keep=True),
        Col(_("内容")),
    )
    episodes = max((row.get("episode", 1) for row in rows), default=1) > 1
    table = [
        (
            f"{row['case_no']}#{row['seq']}" if row.get("from_merged_case") else row["seq"],
            shown(row["at"]),
            label("event", row["type"]) + (_("（第{n}次）").format(n=row["episode"]) if episodes else ""),
            _("系统") if row["actor"] == "system" else row["actor"],
            shown_details(row["details"]),
        )
        for row in rows
    ]
    print_table(columns, table)


def cases(
    typer_ctx: typer.Context,
    township: Annotated[str | None, typer.Option("--township", help=_("乡镇（街道）"))] = None,
    group: Annotated[int | None, typer.Option("--group", min=1, help=_("组别"))] = None,
    kind: Annotated[str | None, typer.Option("--kind", help=choice_help(_("案件类别"), "kind"))] = None,
    stage: Annotated[str | None, typer.Option("--stage", help=choice_help(_("阶段"), "stage"))] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help=_("只列逾期未办的案件"))] = False,
    stalled: Annotated[bool, typer.Option("--stalled", help=_("只列督办已用尽仍未办理的案件（停滞）"))] = False,
    campaign: Annotated[str | None, typer.Option("--campaign", help=_("排查活动"))] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help=_("最多列出几件"))] = None,
    wide: WideOption = False,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """从台账列出本人权限范围内的案件；--json 返回全部匹配（除非 --limit）。"""
    kind_code, stage_code = parse_choice(CaseKind, kind, "--kind"), parse_choice(Stage, stage, "--stage")
    query = {
        "township": township,
        "group": group,
        "kind": kind_code.value if kind_code else None,
        "stage": stage_code.value if stage_code else None,
        "overdue": "true" if overdue else None,
        "stalled": "true" if stalled else None,
        "campaign": campaign,
        "limit": limit,
    }
    server = signed_server(invocation(typer_ctx, actor))
    rows = server.request("GET", "/api/cases", query=query)
    if as_json:
        print_json(rows)
        return
    print_notices(server.notices)
    columns = (
        Col(_("案件编号"), keep=True),
        Col(_("乡镇"), keep=True),
        Col(_("阶段")),
        Col(_("办案人员"), keep=True),
        Col(_("本阶段期限")),
        Col(_("类别"), wide=True),
        Col(_("结果"), wide=True),
        Col(_("督办级别"), wide=True),
    )
    table = [
        (
            row["case_no"],
            row["township"],
            label("stage", row["stage"]) + ("·" + _("临时") if row.get("provisional") else ""),
            row["assigned_officer"] or "",
            shown(row["due_at"]) + (" " + _("逾期") if row["overdue"] else ""),
            label("kind", row["kind"]),
            label("outcome", row["outcome"]),
            row["escalation_level"] if row["escalation_level"] is not None else "",
        )
        for row in rows
    ]
    print_table(columns, table, wide=wide)
    echo(t("count_cases", n=len(rows)))
