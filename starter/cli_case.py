"""`case …` and `cases`: what officers do and what supervisors ask."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from domain.enums import (
    AidChannel,
    Arrangement,
    CaseKind,
    EducationLevel,
    ExcludeReason,
    Finding,
    Placement,
    Stage,
)
from domain.errors import STEP_NAMES
from domain.roster import TownshipChain
from domain.scope import may_reveal
from domain.steps import CloseInput, ConfirmInput, NoteInput, PlanInput, ReassignInput, VisitInput
from ledger.cases import CaseFilter, case_events, list_cases, student_of
from ledger.models import Case
from ledger.personal import event_context
from ledger.registers import case_sources
from starter.access import audit, reading_actor, refuse, require_case_access, require_township_access, scope_of
from starter.actors import acting_officer, lookup_officer
from starter.case_service import OpenRequest, cipher_for, find_case_or_exit, open_case, resolve_campaign, send_step
from starter.context import AsOption, Context, JsonOption, print_json
from starter.errors import BadInput, Refused
from starter.messages import current_lang, t
from starter.parsing import (
    parse_aid,
    parse_bool,
    parse_choice,
    parse_date,
    parse_id_number,
    parse_responsible,
)
from workflows.case import CaseWorkflow

case_app = typer.Typer(help="One case: open it, drive it, read it.", no_args_is_help=True)

CaseArg = Annotated[str, typer.Argument(metavar="CASE", help="Case number (2026-000123) or workflow id")]


def _ctx(typer_ctx: typer.Context, actor: str | None) -> Context:
    ctx: Context = typer_ctx.obj
    ctx.act_as(actor)
    _ = ctx.settings
    return ctx


def _step_input(model: type, **fields: Any) -> Any:
    try:
        return model(**fields)
    except ValidationError as error:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        raise BadInput(t("bad_input", detail=detail)) from None


def _run_step(ctx: Context, case_ref: str, update: Any, step_name: str, build: Any, as_json: bool) -> None:
    case = find_case_or_exit(ctx, case_ref)
    actor = acting_officer(ctx)
    step = build(actor)
    state = asyncio.run(send_step(ctx, case, update, step))
    if as_json:
        print_json(state.model_dump(mode="json"))
    else:
        lang = 1 if current_lang() == "en" else 0
        typer.echo(t("step_done", case_no=state.case_no, step=STEP_NAMES[step_name][lang], stage=state.stage.value))


@case_app.command("open")
def open_(
    typer_ctx: typer.Context,
    kind: Annotated[str, typer.Option("--kind", help="dropout|disability|funding")],
    id_number: Annotated[str, typer.Option("--id-number", help="18-digit resident ID number")],
    name: Annotated[str, typer.Option("--name", help="The child's name")],
    township: Annotated[str, typer.Option("--township", help="Township, with or without 镇/乡/街道")],
    village: Annotated[str | None, typer.Option("--village")] = None,
    school: Annotated[str | None, typer.Option("--school")] = None,
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    campaign: Annotated[str | None, typer.Option("--campaign")] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Open a case (一人一案); the same child again returns the existing case."""
    ctx = _ctx(typer_ctx, actor)
    case_kind = parse_choice(CaseKind, kind, "--kind")
    assert case_kind is not None
    normalised = parse_id_number(id_number)
    if not name.strip():
        raise BadInput(t("bad_value", option="--name", value=repr(name)))
    ctx.chain(township)
    officer = acting_officer(ctx)
    intake = {k: v.strip() for k, v in {"village": village, "school": school, "reason": reason}.items() if v}
    request = OpenRequest(case_kind, normalised, name.strip(), township, campaign, intake)
    result = asyncio.run(open_case(ctx, officer, request))
    if as_json:
        print_json({"case_no": result.case_no, "workflow_id": result.workflow_id, "created": result.created})
    elif result.created:
        typer.echo(t("case_opened", case_no=result.case_no))
    else:
        typer.echo(t("case_exists", kind=case_kind.value, case_no=result.case_no))


@case_app.command("visit")
def visit(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    finding: Annotated[str, typer.Option("--finding", help="confirmed|excluded")],
    exclude_reason: Annotated[
        str | None,
        typer.Option("--exclude-reason", help="enrolled_elsewhere|moved_out|deceased|over_age|duplicate|other"),
    ] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    visited_on: Annotated[str | None, typer.Option("--visited-on", help="YYYY-MM-DD (default today)")] = None,
    dropout_reason: Annotated[str | None, typer.Option("--dropout-reason", help="dropout: why out of school")] = None,
    disability_category: Annotated[str | None, typer.Option("--disability-category", help="disability")] = None,
    can_attend: Annotated[str | None, typer.Option("--can-attend", help="disability: yes|no")] = None,
    household_verified: Annotated[str | None, typer.Option("--household-verified", help="funding: yes|no")] = None,
    education_level: Annotated[
        str | None,
        typer.Option("--education-level", help="funding: preschool|compulsory|senior_high|higher|vocational"),
    ] = None,
    aid_due: Annotated[str | None, typer.Option("--aid-due", help="funding: yes|no")] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record the home visit (实地走访): the finding confirmed, or excluded with its reason."""
    ctx = _ctx(typer_ctx, actor)
    fields = {
        "finding": parse_choice(Finding, finding, "--finding"),
        "exclude_reason": parse_choice(ExcludeReason, exclude_reason, "--exclude-reason"),
        "note": note,
        "visited_on": parse_date(visited_on, "--visited-on"),
        "dropout_reason": dropout_reason,
        "disability_category": disability_category,
        "can_attend": parse_bool(can_attend, "--can-attend"),
        "household_verified": parse_bool(household_verified, "--household-verified"),
        "education_level": parse_choice(EducationLevel, education_level, "--education-level"),
        "aid_due": parse_bool(aid_due, "--aid-due"),
    }
    _run_step(ctx, case_ref, CaseWorkflow.visit, "visit", lambda a: _step_input(VisitInput, actor=a, **fields), as_json)


@case_app.command("plan")
def plan(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    target_date: Annotated[str, typer.Option("--target-date", help="YYYY-MM-DD")],
    placement: Annotated[
        str | None, typer.Option("--placement", help="dropout: original_school|transfer|vocational|special_school")
    ] = None,
    arrangement: Annotated[
        str | None,
        typer.Option(
            "--arrangement", help="disability: inclusive_class|special_school|home_delivery|suspension|deferral"
        ),
    ] = None,
    aid: Annotated[list[str] | None, typer.Option("--aid", help="funding: ITEM:AMOUNT, repeatable")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="funding: school|household|person")] = None,
    procedure: Annotated[str | None, typer.Option("--procedure", help="disability: the procedure to follow")] = None,
    measure: Annotated[list[str] | None, typer.Option("--measure", help="A measure, repeatable")] = None,
    responsible: Annotated[list[str] | None, typer.Option("--responsible", help="NAME:ROLE, repeatable (1+N)")] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record the return plan (一生一策)."""
    ctx = _ctx(typer_ctx, actor)
    fields = {
        "target_date": parse_date(target_date, "--target-date"),
        "placement": parse_choice(Placement, placement, "--placement"),
        "arrangement": parse_choice(Arrangement, arrangement, "--arrangement"),
        "aid_items": parse_aid(aid or []),
        "channel": parse_choice(AidChannel, channel, "--channel"),
        "procedure": procedure,
        "measures": tuple(m.strip() for m in measure or [] if m.strip()),
        "responsible": parse_responsible(responsible or []),
    }
    _run_step(ctx, case_ref, CaseWorkflow.plan, "plan", lambda a: _step_input(PlanInput, actor=a, **fields), as_json)


@case_app.command("confirm")
def confirm(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    evidence: Annotated[list[str] | None, typer.Option("--evidence", help="Evidence reference, repeatable")] = None,
    school: Annotated[str | None, typer.Option("--school")] = None,
    on: Annotated[str | None, typer.Option("--on", help="YYYY-MM-DD (default today)")] = None,
    delivered_to: Annotated[str | None, typer.Option("--delivered-to", help="funding: school|household|person")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Confirm the return (劝返复学), the arrangement or the aid delivered, with evidence (佐证资料)."""
    ctx = _ctx(typer_ctx, actor)
    fields = {
        "evidence": tuple(e.strip() for e in evidence or [] if e.strip()),
        "school": school,
        "on": parse_date(on, "--on"),
        "delivered_to": parse_choice(AidChannel, delivered_to, "--delivered-to"),
        "note": note,
    }
    _run_step(
        ctx, case_ref, CaseWorkflow.confirm, "confirm", lambda a: _step_input(ConfirmInput, actor=a, **fields), as_json
    )


@case_app.command("close")
def close(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    note: Annotated[str | None, typer.Option("--note")] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Close the case (销号): a reviewer other than the one who confirmed."""
    ctx = _ctx(typer_ctx, actor)
    _run_step(
        ctx, case_ref, CaseWorkflow.close, "close", lambda a: _step_input(CloseInput, actor=a, note=note), as_json
    )


@case_app.command("reassign")
def reassign(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    to: Annotated[str, typer.Option("--to", help="A case officer of the case's township")],
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Give the case to another case officer of its township."""
    ctx = _ctx(typer_ctx, actor)
    target = lookup_officer(ctx, to.strip())
    if target is None:
        raise Refused(t("unknown_officer", name=to))
    _run_step(
        ctx,
        case_ref,
        CaseWorkflow.reassign,
        "reassign",
        lambda a: _step_input(ReassignInput, actor=a, to=target),
        as_json,
    )


@case_app.command("note")
def note_(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    text: Annotated[str, typer.Argument(help="The note")],
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a note at any open stage."""
    ctx = _ctx(typer_ctx, actor)
    if not text.strip():
        raise BadInput(t("bad_value", option="TEXT", value=repr(text)))
    _run_step(
        ctx, case_ref, CaseWorkflow.note, "note", lambda a: _step_input(NoteInput, actor=a, text=text.strip()), as_json
    )


def _mask_name(name: str) -> str:
    return name[0] + "*" * (len(name) - 1) if name else name


def case_summary(ctx: Context, case: Case) -> dict[str, Any]:
    chain = case.chain or {}
    return {
        "case_no": case.case_no,
        "workflow_id": case.workflow_id,
        "campaign": case.campaign,
        "kind": case.kind,
        "township": case.township,
        "group": case.group_no,
        "stage": case.stage,
        "assigned_officer": case.assigned_officer,
        "opened_at": case.opened_at.isoformat() if case.opened_at else None,
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "outcome": case.outcome,
        "escalation_level": case.escalation_level,
        "next_escalation_at": case.next_escalation_at.isoformat() if case.next_escalation_at else None,
        "missed_deadline": case.missed_deadline,
        "overdue": bool(case.due_at and case.stage != Stage.closed.value and case.due_at < dt.datetime.now(dt.UTC)),
        "chain": {k: chain.get(k) for k in ("section_chief", "office_head", "group_leader")},
        "roster_version": case.roster_version,
    }


@case_app.command("show")
def show(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Full name and ID number (county or the case's chain)")
    ] = False,
    purpose: Annotated[str | None, typer.Option("--purpose", help="Why the full record is needed (audited)")] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """The case as the ledger has it; the ID number masked unless revealed (every look is audited)."""
    ctx = _ctx(typer_ctx, actor)
    if reveal and not (purpose and purpose.strip()):
        raise BadInput(t("purpose_required"))
    case = find_case_or_exit(ctx, case_ref)
    reader = reading_actor(ctx)
    require_case_access(ctx, reader, case, "reveal" if reveal else "show")
    if reveal and not may_reveal(reader, township=case.township, chain=case.chain or {}):
        raise refuse(
            ctx,
            reader,
            "reveal",
            case,
            t("reveal_not_permitted", actor=reader.name, role=reader.role.value, case_no=case.case_no),
        )
    summary = case_summary(ctx, case)
    cipher = cipher_for(ctx)
    with ctx.sessions() as session:
        student = student_of(session, case=case)
        sources = case_sources(session, case_id=case.id)
    name = cipher.decrypt(student.name_enc, context=f"student:{student.child_key}:name")
    if reveal:
        id_number = cipher.decrypt(student.id_number_enc, context=f"student:{student.child_key}:id_number")
        summary["child"] = {"name": name, "id_number": id_number}
    else:
        summary["child"] = {"name": _mask_name(name), "id_number": student.id_masked}
    summary["sources"] = [{"register": r.register, "row": r.row_no} for r in sources]
    audit(ctx, reader, "reveal" if reveal else "show", "ok", case, purpose=purpose if reveal else None)
    if as_json:
        print_json(summary)
        return
    table = Table(show_header=False)
    for key, value in summary.items():
        if isinstance(value, dict):
            shown = ", ".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, list):
            shown = "; ".join(f"{v['register']}:{v['row']}" for v in value)
        else:
            shown = value
        table.add_row(key, "" if shown is None else str(shown))
    Console().print(table)


@case_app.command("history")
def history(typer_ctx: typer.Context, case_ref: CaseArg, actor: AsOption = None, as_json: JsonOption = False) -> None:
    """Every step of the case with who did it and when."""
    ctx = _ctx(typer_ctx, actor)
    case = find_case_or_exit(ctx, case_ref)
    reader = reading_actor(ctx)
    require_case_access(ctx, reader, case, "history")
    with ctx.sessions() as session:
        events = case_events(session, case_id=case.id)
    cipher = cipher_for(ctx)
    audit(ctx, reader, "history", "ok", case)
    rows = [
        {
            "seq": e.seq,
            "type": e.type,
            "stage": e.stage,
            "actor": e.actor,
            "at": e.at.isoformat(),
            "details": {**e.payload, **cipher.decrypt_json(e.payload_enc, context=event_context(case.id, e.seq))},
        }
        for e in events
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("#", "type", "stage", "actor", "at", "details")
    for row in rows:
        details = ", ".join(f"{k}={v}" for k, v in row["details"].items() if v not in (None, [], ""))
        table.add_row(str(row["seq"]), row["type"], row["stage"], row["actor"], row["at"], details)
    Console().print(table)


def cases(
    typer_ctx: typer.Context,
    township: Annotated[str | None, typer.Option("--township")] = None,
    group: Annotated[int | None, typer.Option("--group", min=1)] = None,
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    stage: Annotated[str | None, typer.Option("--stage")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open cases past their due time")] = False,
    campaign: Annotated[str | None, typer.Option("--campaign")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1)] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """List cases from the ledger; --json returns every match unless --limit."""
    ctx = _ctx(typer_ctx, actor)
    chain: TownshipChain | None = ctx.chain(township) if township else None
    reader = reading_actor(ctx)
    if chain is not None:
        require_township_access(ctx, reader, chain.township, "cases")
    where = CaseFilter(
        townships=scope_of(ctx, reader),
        township=chain.township if chain else None,
        group=group,
        kind=(parse_choice(CaseKind, kind, "--kind") or None) and kind,
        stage=(parse_choice(Stage, stage, "--stage") or None) and stage,
        campaign=resolve_campaign(ctx, campaign).name if campaign else None,
        overdue_at=dt.datetime.now(dt.UTC) if overdue else None,
        limit=limit,
    )
    with ctx.sessions() as session:
        found = list_cases(session, where=where)
    rows = [case_summary(ctx, case) for case in found]
    if as_json:
        print_json(rows)
        return
    table = Table("case_no", "kind", "township", "stage", "assigned", "due_at", "outcome")
    for row in rows:
        due = (row["due_at"] or "")[:16] + (" ⚠" if row["overdue"] else "")
        table.add_row(
            row["case_no"],
            row["kind"],
            row["township"],
            row["stage"],
            row["assigned_officer"] or "",
            due,
            row["outcome"] or "",
        )
    Console().print(table)
    typer.echo(f"{len(rows)}")
