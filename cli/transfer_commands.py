"""`case transfer`, `transfer-accept`, `transfer-decline`: a case handed to another township of
the county (转出、转入), with the receiving side's answer (docs/cli.md, "Transfers")."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.case_commands import AsOption, CaseArg, JsonOption, invocation, run_step
from cli.errors import bad_input
from cli.evidence_upload import EvidenceFileOption, read_evidence, upload_evidence
from cli.session import signed_server
from domain.i18n import _
from domain.messages import t


def transfer(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    to: Annotated[str | None, typer.Option("--to", help=_("接收乡镇（街道），可省略“镇/乡/街道”"))] = None,
    reason: Annotated[str | None, typer.Option("--reason", help=_("转出原因（如 全家迁往该乡镇居住）"))] = None,
    out_of_county: Annotated[bool, typer.Option("--out-of-county", help=_("转往县外（不用 --to）"))] = False,
    to_county: Annotated[str | None, typer.Option("--to-county", help=_("转往县外：接收县名称"))] = None,
    school: Annotated[str | None, typer.Option("--school", help=_("转往县外：接收学校（已知时）"))] = None,
    evidence_file: EvidenceFileOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """申请把案件转给本县另一乡镇（本案办案人员或乡镇负责人）；对方负责人接收或拒绝，逾期未答复两边督办。

    --out-of-county --to-county 县名：转往县外，案件等待接收学校的学籍（case receipt），录入前不算清零，逾期督办。"""
    if out_of_county:
        if to is not None:
            raise bad_input(t("transfer_out_options"))
        transfer_out(typer_ctx, case_ref, to_county or "", school, reason, evidence_file, actor, as_json)
        return
    read_evidence(evidence_file or [])
    inv = invocation(typer_ctx, actor)
    if not (to or "").strip() or not (reason or "").strip():
        raise bad_input(t("transfer_options"))
    assert to is not None and reason is not None
    township = signed_server(inv).request("GET", "/api/roster", query={"township": to.strip()})["township"]
    fields = {"to": township, "reason": reason.strip(), "evidence_files": upload_evidence(inv, case_ref, evidence_file)}
    run_step(inv, case_ref, "transfer", fields, as_json)


def transfer_out(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    to_county: Annotated[str, typer.Option("--to-county", help=_("转往县外：接收县名称"))],
    school: Annotated[str | None, typer.Option("--school", help=_("转往县外：接收学校（已知时）"))] = None,
    reason: Annotated[str | None, typer.Option("--reason", help=_("转出原因（如 全家迁往该乡镇居住）"))] = None,
    evidence_file: EvidenceFileOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """转往县外（同 case transfer --out-of-county）：等待接收学校学籍（case receipt），录入前不算清零，逾期督办。"""
    if not to_county.strip():
        raise bad_input(t("transfer_out_options"))
    read_evidence(evidence_file or [])
    inv = invocation(typer_ctx, actor)
    fields = {
        "to_county": to_county.strip(),
        "school": school.strip() if school else None,
        "reason": reason.strip() if reason else None,
        "evidence_files": upload_evidence(inv, case_ref, evidence_file),
    }
    run_step(inv, case_ref, "transfer_out", fields, as_json)


def receipt(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    school: Annotated[str, typer.Option("--school", help=_("县外接收学校"))],
    student_no: Annotated[str, typer.Option("--student-no", help=_("在接收学校的学籍号"))],
    evidence_file: EvidenceFileOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """录入转往县外儿童在接收学校的学籍（附佐证）：案件以“排除（已迁出本县）”进入销号审核。"""
    if not evidence_file:
        raise bad_input(t("exclusion_needs_evidence"))
    read_evidence(evidence_file)
    inv = invocation(typer_ctx, actor)
    fields = {
        "school": school.strip(),
        "student_no": student_no.strip(),
        "evidence_files": upload_evidence(inv, case_ref, evidence_file),
    }
    run_step(inv, case_ref, "receipt", fields, as_json)


def transfer_accept(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    officer: Annotated[
        str | None, typer.Option("--officer", help=_("指派的本乡镇办案人员（默认：本乡镇第一位办案人员）"))
    ] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """接收转入本乡镇的案件（接收乡镇负责人或县级人员）：案件编号、记录、方案和佐证不变，改由本乡镇办理。"""
    inv = invocation(typer_ctx, actor)
    fields: dict[str, object] = {}
    if officer is not None:
        fields["officer"] = signed_server(inv).request("GET", "/api/officers/resolve", query={"ref": officer.strip()})
    run_step(inv, case_ref, "transfer_accept", fields, as_json)


def transfer_decline(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    reason: Annotated[str, typer.Option("--reason", help=_("拒绝的原因（如 经核实儿童不在本乡镇居住）"))],
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """拒绝转入本乡镇的案件（接收乡镇负责人或县级人员）：案件留在原乡镇。"""
    if not reason.strip():
        raise bad_input(t("bad_value", option="--reason", value="''"))
    run_step(invocation(typer_ctx, actor), case_ref, "transfer_decline", {"reason": reason.strip()}, as_json)
