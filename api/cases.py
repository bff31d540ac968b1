"""Cases: open, steps, show and reveal, history, lists. Scope and audit on every read."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from api.auth import Ctx, signed_in
from domain.actors import Actor
from domain.beijing import beijing_iso, beijing_json, china_midnight, china_today, shown
from domain.enums import CaseKind, Role, Stage
from domain.labels import label
from domain.messages import t
from domain.parsing import (
    check_age,
    check_age_born,
    check_fields,
    check_purpose,
    parse_choice,
    parse_date,
    parse_id_number,
)
from domain.privacy import mask_name
from domain.scope import may_reveal, scope_notice
from domain.step_specs import STEPS, Retry
from domain.steps import INPUTS, EvidenceRef, PlanInput, StepInput, TransferInput
from domain.wire import canonical_json
from ledger.cases import (
    CaseFilter,
    case_events,
    existing_case,
    merged_cases,
    provisional_key_text,
    recent_steps,
    student_of,
)
from ledger.evidence import unknown_ref
from ledger.models import Case, Officer
from ledger.personal import event_context
from ledger.registers import case_sources
from ledger.step_signatures import record_signed_step
from starter.access import audit, in_scope, refuse, require_case_access, require_township_access, scope_of
from starter.case_list import case_summary
from starter.case_service import (
    OpenRequest,
    calendar_note,
    campaign_in,
    campaign_of,
    find_case_or_exit,
    ledger_caught_up,
    open_case,
    resolve_campaign,
    send_step,
    withdraw_uncommitted,
)
from starter.context import Context
from starter.errors import BadInput, Refused
from starter.identify_service import identify_provisional
from starter.transfer_service import receiving_township, send_transfer_target
from workflows.case import CaseWorkflow

router = APIRouter(prefix="/api")
SignedIn = Annotated[Actor, Depends(signed_in)]


class OpenBody(BaseModel):
    kind: str
    id_number: str = ""
    name: str
    township: str
    village: str | None = None
    school: str | None = None
    reason: str | None = None
    campaign: str | None = None
    from_county: str | None = Field(default=None, max_length=64)
    """A child coming in from another county (转入): the county they come from …"""
    reference: str | None = Field(default=None, max_length=200)
    """… and the hand-over's reference (the other county's letter, 学籍 transfer number)."""
    no_id_number: bool = False
    """A child with no ID number (no 户籍, an unregistered birth): keyed provisionally by name,
    birth date, guardian and village, all four required (docs/cli.md, "Children with no papers")."""
    birth_date: str | None = Field(default=None, max_length=10)
    guardian: str | None = Field(default=None, max_length=64)


class StepBody(BaseModel):
    """A step as the officer signed it: the fields, the case's sequence number, time, signature."""

    fields: dict[str, Any]
    expected_seq: int = Field(ge=0, le=2**31 - 1)
    signed_at: str
    signature: str


class RevealBody(BaseModel):
    purpose: str


@router.post("/cases")
async def open_(body: OpenBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """Open a case (one per child, kind and campaign). A child the campaign's rules cannot hold is
    refused; an existing case is returned, with what differs from what was typed; a case held by a
    township out of the officer's scope is not shown (docs/cli.md, `case open`)."""
    found = await run_in_threadpool(_opening, ctx, actor, body)
    if isinstance(found, dict):
        return found
    result = await open_case(ctx, actor, found)
    return {"case_no": result.case_no, "workflow_id": result.workflow_id, "created": result.created}


def _opening(ctx: Context, actor: Actor, body: OpenBody) -> OpenRequest | dict[str, Any]:
    """What to open, checked; or the answer about the case the child already has."""
    kind = parse_choice(CaseKind, body.kind, "--kind")
    assert kind is not None
    if body.no_id_number:
        return _provisional_opening(ctx, actor, body, kind)
    id_number = parse_id_number(body.id_number)
    name = body.name.strip()
    if not name:
        raise BadInput(t("bad_value", option="--name", value=repr(body.name)))
    typed = {
        "village": body.village,
        "school": body.school,
        "reason": body.reason,
        "from_county": body.from_county,
        "reference": body.reference,
    }
    if body.from_county and not (body.reference or "").strip():
        raise BadInput(t("from_county_reference"))
    check_fields({"name": name, **{k: v for k, v in typed.items() if v}})
    chain = ctx.chain(body.township)
    campaign = resolve_campaign(ctx, body.campaign)
    now = dt.datetime.now(dt.UTC)
    check_age(kind.value, id_number, reference=campaign.reference_date, today=china_today(now))
    with ctx.sessions() as session:
        existing = existing_case(
            session, cipher=ctx.cipher, campaign=campaign.name, kind=kind.value, id_number=id_number
        )
    if existing is not None:
        return _already_open(ctx, actor, existing, name=name, township=chain.township)
    intake = {k: v.strip() for k, v in typed.items() if v and v.strip()}
    return OpenRequest(kind, id_number, name, chain.township, campaign.name, intake)


def _provisional_opening(ctx: Context, actor: Actor, body: OpenBody, kind: CaseKind) -> OpenRequest | dict[str, Any]:
    """A child with no ID number: name, birth date, guardian and village all given; keyed by them,
    so the same four typed again find the same case."""
    if body.id_number.strip():
        raise BadInput(t("no_id_number_with_id"))
    facts = {"name": body.name, "guardian": body.guardian or "", "village": body.village or ""}
    facts = {key: value.strip() for key, value in facts.items()}
    missing = [key for key, value in facts.items() if not value] + ([] if body.birth_date else ["birth_date"])
    if missing:
        raise BadInput(t("provisional_missing", fields="、".join(t(f"provisional_{key}") for key in missing)))
    born = parse_date(body.birth_date, t("provisional_birth_date"))
    assert born is not None
    check_fields({**facts, **{k: v for k, v in {"school": body.school, "reason": body.reason}.items() if v}})
    chain = ctx.chain(body.township)
    campaign = resolve_campaign(ctx, body.campaign)
    check_age_born(kind.value, born, reference=campaign.reference_date, today=china_today(dt.datetime.now(dt.UTC)))
    key_text = provisional_key_text(name=facts["name"], born=born, guardian=facts["guardian"], village=facts["village"])
    with ctx.sessions() as session:
        existing = existing_case(
            session, cipher=ctx.cipher, campaign=campaign.name, kind=kind.value, id_number=key_text
        )
    if existing is not None:
        return _already_open(ctx, actor, existing, name=facts["name"], township=chain.township)
    typed = {"village": facts["village"], "school": body.school, "reason": body.reason}
    intake = {
        **{k: v.strip() for k, v in typed.items() if v and v.strip()},
        "birth_date": born.isoformat(),
        "guardian": facts["guardian"],
    }
    return OpenRequest(kind, key_text, facts["name"], chain.township, campaign.name, intake, provisional=True)


def _already_open(
    ctx: Context, actor: Actor, found: tuple[Case, str | None], *, name: str, township: str
) -> dict[str, Any]:
    case, known_name = found
    scope = scope_of(ctx, actor)
    if scope is not None and case.township not in scope:
        raise refuse(ctx, actor, "open", case, t("child_held_elsewhere"))
    same = {"name": known_name in (None, name), "township": case.township == township}
    mismatch = [field for field, agrees in same.items() if not agrees]
    answer: dict[str, Any] = {"case_no": case.case_no, "workflow_id": case.workflow_id, "created": False}
    if mismatch:
        audit(ctx, actor, "open_mismatch", "ok", case, detail=",".join(mismatch))
        answer["mismatch"] = mismatch
    return answer


def case_for(ctx: Context, actor: Actor, ref: str, action: str, *, acting: bool = False) -> Case:
    """The case, if the reader may see it; for a step (`acting`) the refusal says that the officer
    has no right to act in the case's township."""
    case = find_case_or_exit(ctx, ref)
    if acting:
        if not in_scope(ctx, actor, case):
            role = label("role", actor.role.value)
            raise refuse(
                ctx, actor, action, case, t("act_not_permitted", actor=actor.name, role=role, township=case.township)
            )
        return case
    require_case_access(ctx, actor, case, action)
    return case


@router.get("/cases/{ref}/step")
def step_context(ref: str, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """What an officer's client signs a step against: the case's id and its current sequence number."""
    case = case_for(ctx, actor, ref, "step", acting=True)
    return {"case_id": str(case.id), "case_no": case.case_no, "stage": case.stage, "last_seq": case.last_seq}


def _resolved_target(session: Session, fields: dict[str, Any]) -> None:
    """`to` of a reassignment must be the registry's officer exactly (role and township included)."""
    to = fields.get("to")
    if not isinstance(to, dict) or not isinstance(to.get("id"), int):
        raise BadInput(t("bad_value", option="--to", value=repr(to)))
    officer = session.get(Officer, to["id"])
    expected = (
        {"id": officer.id, "name": officer.name, "role": officer.role, "township": officer.township}
        if officer
        else None
    )
    if expected != {k: to.get(k) for k in ("id", "name", "role", "township")}:
        raise Refused(t("unknown_officer", name=to.get("name")))


def _check_cause(session: Session, case: Case, fields: dict[str, Any]) -> None:
    """A dropout confirmed names its cause by one of the campaign's categories."""
    cause = fields.get("dropout_cause")
    if case.kind != CaseKind.dropout.value or (fields.get("finding") != "confirmed" and cause is None):
        return
    causes = campaign_in(session, case).dropout_causes
    if cause not in causes:
        raise BadInput(t("dropout_cause_required", causes="|".join(causes)))


def _check_rate(ctx: Context, session: Session, case: Case, actor: Actor, event: str) -> None:
    """A repeatable step past the officer's hourly allowance on this case is refused (exit 3)."""
    limit = ctx.settings.repeatable_steps_per_hour
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    recent = recent_steps(session, case_id=case.id, actor=actor.name, actor_id=actor.id, event=event, since=since)
    if recent >= limit:
        raise Refused(t("step_rate_limited", limit=limit), code="rate_limited")


def _check_evidence_refs(session: Session, case: Case, raw: Any) -> None:
    """Every file a step names was uploaded to this case, with that content."""
    if not raw:
        return
    try:
        refs = [EvidenceRef.model_validate(item) for item in raw]
    except (ValidationError, TypeError):
        raise BadInput(t("bad_value", option="--evidence-file", value="?")) from None
    unknown = unknown_ref(session, case_id=case.id, refs=refs)
    if unknown is not None:
        raise BadInput(t("evidence_unknown", id=unknown.id, case_no=case.case_no))


@router.post("/cases/{ref}/steps/{step_name}")
async def step(ref: str, step_name: str, body: StepBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """The database's part runs off the event loop (docs/architecture.md, "The server's event loop")."""
    case, step_input = await run_in_threadpool(_checked_step, ctx, actor, ref, step_name, body)
    if isinstance(step_input, TransferInput):
        await send_transfer_target(ctx, case, step_input.to)
    try:
        outcome = await send_step(ctx, case, getattr(CaseWorkflow, step_name), step_input)
    except Refused as refused:
        if refused.code == "stale_step":
            await withdraw_uncommitted(ctx, case, step_input, refused)
        if refused.code not in RETRY_CODES[STEPS[step_name].retry]:
            raise  # a note is a retry only when the case itself says so; a replayed one stays refused
        await ledger_caught_up(ctx, case)
        if await run_in_threadpool(already_recorded, ctx, case, step_input):
            moved = await run_in_threadpool(find_case_or_exit, ctx, ref)
            return {**case_summary(moved), "last_seq": moved.last_seq, "already_recorded": True}
        raise
    answer = beijing_json(outcome.state.model_dump())
    if outcome.ledger_pending:
        answer["ledger_pending"] = True
    if isinstance(step_input, PlanInput):
        deadline = (await run_in_threadpool(resolve_campaign, ctx, case.campaign)).clearance_deadline
        if china_midnight(step_input.target_date) > deadline:
            answer["warnings"] = [
                t(
                    "target_after_deadline",
                    target=step_input.target_date.isoformat(),
                    deadline=shown(beijing_iso(deadline)),
                )
            ]
    return answer


class IdentifyBody(StepBody):
    """The signed `identify` step and, beside it, the ID number (which never enters the history)."""

    id_number: str = Field(max_length=32)


@router.post("/cases/{ref}/identify")
async def identify(ref: str, body: IdentifyBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """A provisional case gets its child's ID number; merged into the child's existing case of its
    kind, if there is one (starter/identify_service.py)."""
    signed = StepBody.model_validate(body.model_dump(exclude={"id_number"}))
    case, step_input = await run_in_threadpool(_checked_step, ctx, actor, ref, "identify", signed, identifying=True)
    return await identify_provisional(ctx, case, step_input, body.id_number)


def _checked_step(
    ctx: Context, actor: Actor, ref: str, step_name: str, body: StepBody, *, identifying: bool = False
) -> tuple[Case, StepInput]:
    """The case, if the officer may act in it, and the step as its model, checked as the server
    checks every step before Temporal sees it: the rate of repeatable steps, a reassignment's
    target, sizes and characters, the evidence named."""
    model = INPUTS.get(step_name)
    if model is None:
        raise BadInput(t("bad_value", option="STEP", value=step_name))
    case = case_for(ctx, actor, ref, step_name, acting=True)  # a refusal is audited in a session of its own
    with ctx.sessions.begin() as session:  # the checks and the record, kept before the step is sent
        step_input = _step_input(ctx, session, actor, case, step_name, model, body, identifying=identifying)
        officer = session.get(Officer, actor.id) if actor.id is not None else None
        if officer is not None and officer.public_key:  # `verify` accounts for the step's event by it
            record_signed_step(
                session, cipher=ctx.cipher, case_id=case.id, step=step_input, public_key=officer.public_key
            )
    return case, step_input


def _step_input(
    ctx: Context,
    session: Session,
    actor: Actor,
    case: Case,
    step_name: str,
    model: type[StepInput],
    body: StepBody,
    *,
    identifying: bool,
) -> StepInput:
    if STEPS[step_name].retry == Retry.repeatable:
        _check_rate(ctx, session, case, actor, STEPS[step_name].event)
    if step_name == "identify" and not identifying:
        raise BadInput(t("identify_by_command"))
    if step_name == "plan" and not body.fields.get("responsible"):
        raise BadInput(t("plan_needs_responsible"))
    if step_name == "visit":
        _check_cause(session, case, body.fields)
    if step_name == "reassign":
        _resolved_target(session, body.fields)
    if step_name == "transfer":
        receiving_township(ctx, case, body.fields.get("to"))
    if step_name == "transfer_accept" and body.fields.get("officer") is not None:
        _resolved_target(session, {"to": body.fields["officer"]})
    check_fields(body.fields)
    _check_evidence_refs(session, case, body.fields.get("evidence_files"))
    try:
        return model.model_validate(
            {
                **body.fields,
                "actor": actor,
                "signed_fields": canonical_json(body.fields),
                "signed_at": body.signed_at,
                "signed_at_text": body.signed_at,
                "expected_seq": body.expected_seq,
                "signature": body.signature,
            }
        )
    except ValidationError as error:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        raise BadInput(t("bad_input", detail=detail)) from None


RETRY_CODES: dict[Retry, tuple[str, ...]] = {
    Retry.none: (),
    Retry.once: ("wrong_stage", "stale_step", "case_closed"),
    Retry.repeatable: ("repeated_note",),
}
"""The refusals after which a step, as declared (domain/step_specs.py), may be the officer's retry
of one in fact recorded: a step that happens once a stage, refused because the case moved on; a
repeatable one (a note, a persuasion attempt) only when the case itself calls it a repeat."""


def already_recorded(ctx: Context, case: Case, step: StepInput) -> bool:
    """A step refused because the case has moved on may be the officer's retry of a step that was
    in fact done: the case's latest step event is the same step, by the same officer, with the
    same content. Then it is answered as done, not refused."""
    spec = STEPS[step.step]
    if spec.retry == Retry.none:
        return False
    event_type = spec.event
    with ctx.sessions() as session:
        events = [e for e in case_events(session, case_id=case.id) if e.type not in ("escalated", "roster_changed")]
    if not events or events[-1].type != event_type or events[-1].actor != step.actor.name:
        return False
    last = events[-1]
    recorded = {**last.payload, **ctx.cipher.decrypt_json(last.payload_enc, context=event_context(case.id, last.seq))}
    return recorded == step.details()


def shown_case(ctx: Context, actor: Actor, case: Case, *, reveal: bool, purpose: str | None) -> dict[str, Any]:
    summary = case_summary(case)
    cipher = ctx.cipher
    with ctx.sessions() as session:
        student = student_of(session, case=case)
        sources = case_sources(session, case_id=case.id)
        merged_from = [other.case_no for other in merged_cases(session, case_id=case.id)]
        into = session.get(Case, case.merged_into) if case.merged_into else None
    name = cipher.decrypt(student.name_enc, context=f"student:{student.child_key}:name")
    if reveal and not student.provisional:
        id_number = cipher.decrypt(student.id_number_enc, context=f"student:{student.child_key}:id_number")
        summary["child"] = {"name": name, "id_number": id_number}
    else:
        summary["child"] = {"name": name if reveal else mask_name(name), "id_number": student.id_masked}
    if student.provisional:  # the child's shape stays as documented for everyone else
        summary["child"]["provisional"] = True
    summary["merged_into"] = into.case_no if into else None
    summary["merged_from"] = merged_from
    summary["calendar_note"] = calendar_note(campaign_of(ctx, case))
    summary["sources"] = [{"register": r.register, "row": r.row_no} for r in sources]
    summary.update(entered(ctx, case))
    audit(ctx, actor, "reveal" if reveal else "show", "ok", case, purpose=purpose if reveal else None)
    return summary


def entered(ctx: Context, case: Case) -> dict[str, Any]:
    """What officers typed, so that nothing entered is lost from view: the intake at opening, the
    latest home visit, return plan and confirmation (with its evidence)."""
    cipher = ctx.cipher
    intake = cipher.decrypt_json(case.intake_enc, context=f"case:{case.id}:intake") if case.intake_enc else {}
    latest: dict[str, dict[str, Any]] = {}
    with ctx.sessions() as session:
        cases = [case, *merged_cases(session, case_id=case.id)]
        events = sorted(
            ((event, each) for each in cases for event in case_events(session, case_id=each.id)),
            key=lambda pair: pair[0].at,
        )
        for event, each in events:
            if event.type in ("visited", "planned", "confirmed"):
                details = {
                    **event.payload,
                    **cipher.decrypt_json(event.payload_enc, context=event_context(each.id, event.seq)),
                }
                latest[event.type] = {"by": event.actor, "at": beijing_iso(event.at), **details}
                if each.id != case.id:
                    latest[event.type]["case_no"] = each.case_no
    return {
        "intake": intake,
        "visit": latest.get("visited"),
        "plan": latest.get("planned"),
        "confirmation": latest.get("confirmed"),
    }


@router.get("/cases/{ref}")
def show(ref: str, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """The case as the ledger has it, the child masked; every look is audited."""
    case = case_for(ctx, actor, ref, "show")
    return shown_case(ctx, actor, case, reveal=False, purpose=None)


@router.post("/cases/{ref}/reveal")
def reveal(ref: str, body: RevealBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """Full name and ID number, for county or the case's own chain, with a purpose (audited).
    A POST so that the purpose never lands in a URL or an access log."""
    purpose = check_purpose(body.purpose)
    case = case_for(ctx, actor, ref, "reveal")
    if not may_reveal(actor, township=case.township, chain=case.chain or {}):
        reason = t("reveal_not_permitted", actor=actor.name, role=label("role", actor.role.value), case_no=case.case_no)
        raise refuse(ctx, actor, "reveal", case, reason)
    return shown_case(ctx, actor, case, reveal=True, purpose=purpose)


@router.get("/cases/{ref}/history")
def history(ref: str, ctx: Ctx, actor: SignedIn) -> list[dict[str, Any]]:
    case = case_for(ctx, actor, ref, "history")
    audit(ctx, actor, "history", "ok", case)
    return history_rows(ctx, case)


def history_rows(ctx: Context, case: Case) -> list[dict[str, Any]]:
    """Every event of the case with its details decrypted and its episode, and — in time order
    among them — those of the cases merged into it (each row names its case by `case_no`)."""
    with ctx.sessions() as session:
        cases = [case, *merged_cases(session, case_id=case.id)]
        histories = [(each, case_events(session, case_id=each.id)) for each in cases]
    cipher = ctx.cipher
    shown_events = []
    for each, events in histories:
        episode = 1
        for e in events:
            details = {**e.payload, **cipher.decrypt_json(e.payload_enc, context=event_context(each.id, e.seq))}
            if e.type == "reopened":
                episode = int(details.get("episode", episode + 1))
            shown_events.append(
                {
                    "seq": e.seq,
                    "type": e.type,
                    "stage": e.stage,
                    "actor": e.actor,
                    "at": beijing_iso(e.at),
                    "episode": episode,
                    "details": details,
                    "case_no": each.case_no,
                    "from_merged_case": each.id != case.id,
                    "_at": e.at,
                }
            )
    shown_events.sort(key=lambda row: (row["_at"], row["case_no"] != case.case_no, row["seq"]))
    for row in shown_events:
        del row["_at"]
    return shown_events


@router.get("/cases")
def cases(
    ctx: Ctx,
    actor: SignedIn,
    township: str | None = None,
    group: Annotated[int | None, Query(ge=1, le=99)] = None,
    kind: str | None = None,
    stage: str | None = None,
    overdue: bool = False,
    stalled: bool = False,
    campaign: str | None = None,
    limit: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> Response:
    """Each case's JSON kept between requests (starter/case_list.py): a county's list is 10,000."""
    now = dt.datetime.now(dt.UTC)
    chain = ctx.chain(township) if township else None
    if chain is not None:
        require_township_access(ctx, actor, chain.township, "cases")
    if group is not None:
        require_group_access(ctx, actor, group)
    school = actor.school or "" if actor.role == Role.school else None
    where = CaseFilter(
        townships=None if school is not None else scope_of(ctx, actor),
        school=school,
        township=chain.township if chain else None,
        group=group,
        kind=_code(parse_choice(CaseKind, kind, "--kind")),
        stage=_code(parse_choice(Stage, stage, "--stage")),
        campaign=resolve_campaign(ctx, campaign).name if campaign else None,
        overdue_at=now if overdue else None,
        stalled=stalled,
        limit=limit,
    )
    with ctx.sessions() as session:
        listed = ctx.case_list.json(session, where=where, now=now)
    return Response(listed, media_type="application/json", headers=scope_notice(actor))


def _code(choice: CaseKind | Stage | None) -> str | None:
    return choice.value if choice is not None else None


def require_group_access(ctx: Context, actor: Actor, group: int) -> None:
    """A group outside the reader's scope is refused, as a township outside it is (exit 3)."""
    scope = scope_of(ctx, actor)
    townships = {c.township for c in ctx.roster.chains() if c.group == group}
    if not townships:
        raise BadInput(t("bad_value", option="--group", value=str(group)))
    if scope is not None and not townships & scope and actor.role != Role.county:
        reason = t(
            "township_not_permitted", actor=actor.name, role=label("role", actor.role.value), township=f"{group}组"
        )
        raise refuse(ctx, actor, "cases", None, reason)
