"""`inspection …` and `accountability …`: 督查 and 问责 on record (docs/cli.md, "Inspections and
accountability"). The server decides who may record what; this client reads and signs."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

import typer

from cli.case_commands import AsOption, JsonOption
from cli.errors import bad_input
from cli.evidence_upload import EvidenceFileOption, read_evidence
from cli.http import LONG_SECONDS
from cli.output import Col, echo, print_json, print_table
from cli.session import Invocation, signed_server
from domain.beijing import shown
from domain.i18n import _
from domain.labels import choice_help, choices_of, code_of, label
from domain.messages import t
from domain.parsing import check_fields, parse_date

inspection_app = typer.Typer(help=_("督查：记录督查、下达整改通知、乡镇答复。"), no_args_is_help=True)
accountability_app = typer.Typer(help=_("问责：记录问责决定，关联督办记录。"), no_args_is_help=True)
CampaignOption = Annotated[str | None, typer.Option("--campaign", help=_("排查活动（默认：当前活动）"))]
SEPARATORS = re.compile(r"[,，、;；\s]+")


def _items(values: list[str] | None) -> list[str]:
    """Repeated options, each possibly a list written with 、 or commas."""
    return [item for value in values or [] for item in SEPARATORS.split(value) if item]


def _upload(inv: Invocation, record: str, contents: list[bytes]) -> list[dict[str, Any]]:
    server = signed_server(inv)
    path = f"/api/records/{quote(record, safe='')}/files"
    return [server.request("POST", path, raw=data, timeout=LONG_SECONDS) for data in contents]


@inspection_app.command("add")
def add(
    typer_ctx: typer.Context,
    township: Annotated[str, typer.Option("--township", help=_("被督查的乡镇（街道）"))],
    on: Annotated[str, typer.Option("--date", help=_("督查日期 YYYY-MM-DD"))],
    finding: Annotated[str, typer.Option("--finding", help=_("督查发现的问题"))],
    villages: Annotated[
        list[str] | None, typer.Option("--villages", help=_("走访的村（社区），可重复或用“、”分隔"))
    ] = None,
    schools: Annotated[list[str] | None, typer.Option("--schools", help=_("走访的学校，可重复或用“、”分隔"))] = None,
    sampled: Annotated[
        list[str] | None, typer.Option("--sampled", help=_("抽查的案件编号，可重复或用“、”分隔"))
    ] = None,
    evidence_file: EvidenceFileOption = None,
    campaign: CampaignOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """记录一次督查（包片组长、责任科室、督导办在其范围内，或县级人员）：日期、走访的村和学校、抽查的案件、发现的问题。"""
    day = parse_date(on, "--date")
    contents = read_evidence(evidence_file or [])
    body = {
        "township": township.strip(),
        "inspected_on": day.isoformat() if day else None,
        "villages": _items(villages),
        "schools": _items(schools),
        "sampled": _items(sampled),
        "finding": finding.strip(),
        "campaign": campaign,
    }
    check_fields({k: v for k, v in body.items() if v})
    inv = typer_ctx.obj.acting(actor)
    result = signed_server(inv).request("POST", "/api/inspections", body=body)
    result["files"] = _upload(inv, f"inspection:{result['id']}", contents)
    if as_json:
        print_json(result)
        return
    echo(t("inspection_recorded", id=result["id"], township=result["township"]))


@inspection_app.command("order")
def order(
    typer_ctx: typer.Context,
    township: Annotated[str, typer.Option("--township", help=_("整改的乡镇（街道）"))],
    due: Annotated[str, typer.Option("--due", help=_("答复期限 YYYY-MM-DD（当日北京时间 24 时前）"))],
    text: Annotated[str, typer.Option("--text", help=_("整改要求"))],
    inspection: Annotated[int | None, typer.Option("--inspection", min=1, help=_("依据的督查编号"))] = None,
    evidence_file: EvidenceFileOption = None,
    campaign: CampaignOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """下达整改通知：乡镇须在期限前答复（inspection answer），逾期未答复按督办阶梯提醒乡镇负责人、责任科室、组长。"""
    day = parse_date(due, "--due")
    contents = read_evidence(evidence_file or [])
    check_fields({"text": text})
    body = {
        "township": township.strip(),
        "due": day.isoformat() if day else None,
        "text": text.strip(),
        "inspection": inspection,
        "campaign": campaign,
    }
    inv = typer_ctx.obj.acting(actor)
    result = signed_server(inv).request("POST", "/api/inspections/orders", body=body)
    result["files"] = _upload(inv, f"order:{result['id']}", contents)
    if as_json:
        print_json(result)
        return
    echo(t("order_issued", id=result["id"], township=result["township"], due=shown(result["due_at"])))


@inspection_app.command("answer")
def answer(
    typer_ctx: typer.Context,
    order_id: Annotated[int, typer.Argument(metavar="ORDER", min=1, help=_("整改通知编号"))],
    text: Annotated[str, typer.Option("--text", help=_("整改落实情况"))],
    evidence_file: EvidenceFileOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """乡镇答复整改通知（本乡镇人员或县级人员），可附佐证材料。"""
    contents = read_evidence(evidence_file or [])
    check_fields({"text": text})
    inv = typer_ctx.obj.acting(actor)
    result = signed_server(inv).request(
        "POST", f"/api/inspections/orders/{order_id}/answer", body={"text": text.strip()}
    )
    result["files"] = _upload(inv, f"order:{order_id}", contents)
    if as_json:
        print_json(result)
        return
    echo(t("order_answered", id=order_id))


@inspection_app.command("list")
def list_(
    typer_ctx: typer.Context,
    campaign: CampaignOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """本人范围内的督查记录和整改通知（逾期未答复的标出）。"""
    record = signed_server(typer_ctx.obj.acting(actor)).request("GET", "/api/inspections", query={"campaign": campaign})
    if as_json:
        print_json({"campaign": record["campaign"], "inspections": record["inspections"], "orders": record["orders"]})
        return
    print_table(
        (
            Col(_("编号"), keep=True),
            Col(_("乡镇（街道）"), keep=True),
            Col(_("日期"), keep=True),
            Col(_("抽查")),
            Col(_("发现")),
        ),
        [
            (i["id"], i["township"], i["inspected_on"], "、".join(i["sampled"]), i["finding"])
            for i in record["inspections"]
        ],
    )
    print_table(
        (
            Col(_("整改通知"), keep=True),
            Col(_("乡镇（街道）"), keep=True),
            Col(_("期限"), keep=True),
            Col(_("状态")),
            Col(_("要求")),
        ),
        [(o["id"], o["township"], shown(o["due_at"])[:16], _order_state(o), o["text"]) for o in record["orders"]],
    )


def _order_state(order: dict[str, Any]) -> str:
    if order["answered_at"]:
        return _("已答复")
    if order["overdue"]:
        return _("逾期未答复") + (f"（{order['escalation_level']}级）" if order["escalation_level"] is not None else "")
    return _("待答复")


def _ground(value: str) -> str:
    """A ground by its code or the notice's words."""
    code = code_of("ground", value)
    if code is None:
        raise bad_input(t("bad_value", option="--ground", value=f"{value} ({choices_of('ground')})"))
    return code


@accountability_app.command("add")
def add_decision(
    typer_ctx: typer.Context,
    unit: Annotated[str, typer.Option("--unit", help=_("被问责的单位（乡镇或学校）"))],
    ground: Annotated[
        str,
        typer.Option(
            "--ground",
            help=choice_help(_("问责事由"), "ground"),
        ),
    ],
    decision: Annotated[str, typer.Option("--decision", help=_("问责决定"))],
    person: Annotated[str | None, typer.Option("--person", help=_("被问责的责任人"))] = None,
    cases: Annotated[list[str] | None, typer.Option("--cases", help=_("涉及的案件编号，可重复或用“、”分隔"))] = None,
    reminder: Annotated[
        list[int] | None, typer.Option("--reminder", help=_("作为依据的督办提醒编号（默认：所涉案件的全部督办）"))
    ] = None,
    order_ids: Annotated[
        list[int] | None, typer.Option("--order", help=_("作为依据的整改通知编号（默认：该单位逾期未答复的）"))
    ] = None,
    evidence_file: EvidenceFileOption = None,
    campaign: CampaignOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """记录问责决定（县级人员）：单位、责任人、事由（通知的四种情形）、涉及案件、决定；关联督办提醒和逾期整改通知作为依据。"""
    contents = read_evidence(evidence_file or [])
    body = {
        "unit": unit.strip(),
        "person": person.strip() if person else None,
        "ground": _ground(ground),
        "cases": _items(cases),
        "reminders": reminder or [],
        "orders": order_ids or [],
        "decision": decision.strip(),
        "campaign": campaign,
    }
    check_fields({k: v for k, v in body.items() if v and isinstance(v, str)})
    inv = typer_ctx.obj.acting(actor)
    result = signed_server(inv).request("POST", "/api/accountability", body=body)
    result["files"] = _upload(inv, f"accountability:{result['id']}", contents)
    if as_json:
        print_json(result)
        return
    echo(
        t("accountability_recorded", id=result["id"], reminders=len(result["reminders"]), orders=len(result["orders"]))
    )


@accountability_app.command("list")
def list_decisions(
    typer_ctx: typer.Context,
    campaign: CampaignOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """本人范围内的问责记录。"""
    record = signed_server(typer_ctx.obj.acting(actor)).request("GET", "/api/inspections", query={"campaign": campaign})
    if as_json:
        print_json({"campaign": record["campaign"], "accountability": record["accountability"]})
        return
    print_table(
        (Col(_("编号"), keep=True), Col(_("单位"), keep=True), Col(_("事由")), Col(_("责任人")), Col(_("决定"))),
        [
            (d["id"], d["unit"], label("ground", d["ground"]), d["person"] or "", d["decision"])
            for d in record["accountability"]
        ],
    )


@accountability_app.command("evidence")
def evidence(
    typer_ctx: typer.Context,
    unit: Annotated[str, typer.Option("--unit", help=_("单位（乡镇）"))],
    cases: Annotated[list[str] | None, typer.Option("--cases", help=_("限于这些案件，可重复或用“、”分隔"))] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """记录中可作问责依据的：督办提醒、错过清零期限的案件、逾期未答复的整改通知（县级人员）。"""
    query = {"unit": unit.strip(), "cases": _items(cases) or None}
    found = signed_server(typer_ctx.obj.acting(actor)).request("GET", "/api/accountability/evidence", query=query)
    if as_json:
        print_json(found)
        return
    print_table(
        (
            Col(_("督办提醒"), keep=True),
            Col(_("案件编号"), keep=True),
            Col(_("级别")),
            Col(_("接收人")),
            Col(_("时间"), keep=True),
        ),
        [(r["id"], r["case_no"], r["level"], r["recipient"], shown(r["at"])[:16]) for r in found["reminders"]],
    )
    for item in found["missed_deadline"]:
        echo(t("accountability_missed", case_no=item["case_no"]))
    for item in found["orders"]:
        echo(t("accountability_open_order", id=item["id"], due=shown(item["due_at"])))
