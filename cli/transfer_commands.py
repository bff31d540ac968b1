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
    to: Annotated[str, typer.Option("--to", help=_("接收乡镇（街道），可省略“镇/乡/街道”"))],
    reason: Annotated[str, typer.Option("--reason", help=_("转出原因（如 全家迁往该乡镇居住）"))],
    evidence_file: EvidenceFileOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """申请把案件转给本县另一乡镇（本案办案人员或乡镇负责人）；对方负责人接收或拒绝，逾期未答复两边督办。"""
    if not reason.strip():
        raise bad_input(t("bad_value", option="--reason", value="''"))
    read_evidence(evidence_file or [])
    inv = invocation(typer_ctx, actor)
    township = signed_server(inv).request("GET", "/api/roster", query={"township": to.strip()})["township"]
    fields = {"to": township, "reason": reason.strip(), "evidence_files": upload_evidence(inv, case_ref, evidence_file)}
    run_step(inv, case_ref, "transfer", fields, as_json)


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
