"""The rules a step must pass. Pure functions of the case state and the step: the workflow's
update validators call them, and its handlers again. Every step passes the same checks of where
in a case it is taken (its declaration's `where`), of the case's sequence number and of scope;
its own rule, if it has one, is `STEP_RULES[name]`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from domain.actors import Actor
from domain.beijing import china_today
from domain.case import CaseEvent, CaseState
from domain.enums import (
    EXCLUSION_CLOSERS,
    GOVERNMENT_ROLES,
    REVIEWER_ROLES,
    SCHOOL_PROVEN_EXCLUSIONS,
    TIME_LIMITED_ARRANGEMENTS,
    TOWNSHIP_ROLES,
    Arrangement,
    CaseKind,
    Finding,
    Outcome,
    Role,
    Stage,
)
from domain.errors import CaseRuleViolation
from domain.signing import MAX_CLOCK_SKEW, OfficerKey, registry_key, step_message, verify
from domain.step_specs import STEPS, StepSpec, Where
from domain.steps import (
    AttemptInput,
    CloseInput,
    ConfirmInput,
    PlanInput,
    ReassignInput,
    SessionInput,
    StepInput,
    TransferInput,
    VisitInput,
)

_DISABILITY_VISIT_FIELDS = ("disability_category", "can_attend")
_FUNDING_VISIT_FIELDS = ("household_verified", "education_level", "aid_due")


def check_signature(
    state: CaseState, step_name: str, step: StepInput, officers: dict[str, OfficerKey], now: dt.datetime
) -> None:
    """Signed by the officer it names, in the role and township the registry gives them, recently,
    over exactly the fields the step carries."""
    if not step.signature or not step.signed_at_text or step.signed_fields is None or step.expected_seq is None:
        raise CaseRuleViolation("unsigned")
    entry = officers.get(registry_key(step.actor.id, step.actor.name))
    actor = step.actor
    if (
        entry is None
        or entry.role != actor.role
        or (entry.township or None) != (actor.township or None)
        or (entry.school or None) != (actor.school or None)
    ):
        raise CaseRuleViolation("not_permitted", actor=actor.name, role=actor.role.value, township=state.township)
    if not entry.public_key:
        raise CaseRuleViolation("key_revoked", actor=step.actor.name)
    message = step_message(state.case_id, step_name, step.expected_seq, step.signed_at_text, step.signed_fields)
    if not verify(entry.public_key, message, step.signature):
        raise CaseRuleViolation("bad_signature")
    try:
        signed = json.loads(step.signed_fields)
        at = dt.datetime.fromisoformat(step.signed_at_text)
        as_signed = type(step).model_validate({**signed, "actor": step.actor}).fields()
    except (ValueError, TypeError):  # pydantic's ValidationError is a ValueError
        raise CaseRuleViolation("bad_signature") from None
    if as_signed != step.fields():
        raise CaseRuleViolation("bad_signature")
    if abs(now - at) > MAX_CLOCK_SKEW or at != step.signed_at:
        raise CaseRuleViolation("stale_signature")


STEP_DATE_MARGIN = dt.timedelta(days=90)
"""How long before its case was opened a step may be dated: a visit made while the child was
being found, recorded once the case exists (docs/security.md, "Limits")."""


def check_step_dates(state: CaseState, step: StepInput) -> None:
    """The day a step says it happened is not before the case was opened, less the margin."""
    earliest = china_today(state.opened_at) - STEP_DATE_MARGIN
    for name in ("visited_on", "on"):
        day = getattr(step, name, None)
        if isinstance(day, dt.date) and day < earliest:
            raise CaseRuleViolation("date_too_early", field=name, earliest=earliest.isoformat())


def check_sequence(state: CaseState, step: StepInput) -> None:
    """A step signed for an earlier state of the case (a replay, or a race lost) is refused."""
    if step.expected_seq is not None and step.expected_seq != state.last_seq:
        raise CaseRuleViolation("stale_step", seq=step.expected_seq, now=state.last_seq)


def may_act(actor: Actor, *, township: str, chain_names: set[str]) -> bool:
    if actor.role == Role.county:
        return True
    if actor.role in GOVERNMENT_ROLES:
        return False
    if actor.role in TOWNSHIP_ROLES:
        return actor.township == township
    return actor.name in chain_names


SCHOOL_STEPS = frozenset({"back"})
"""What a school officer may do on a case their school reported: report the pupil back."""


TRANSFER_ANSWERS = frozenset({"transfer_accept", "transfer_decline"})
"""The receiving township's steps: its lead (or a county role) answers a transfer request."""


def check_permitted(state: CaseState, actor: Actor, step: str = "") -> None:
    chain = state.chain
    names = {chain.section_chief, chain.office_head, chain.group_leader}
    if actor.role == Role.school:
        permitted = step in SCHOOL_STEPS and state.school is not None and actor.school == state.school
    elif step in TRANSFER_ANSWERS:
        receiving = state.transfer.to if state.transfer else None
        if not (actor.role == Role.county or (actor.role == Role.township_lead and actor.township == receiving)):
            raise CaseRuleViolation("transfer_not_permitted", actor=actor.name, role=actor.role.value)
        permitted = True
    else:
        permitted = may_act(actor, township=state.township, chain_names=names)
    if not permitted:
        raise CaseRuleViolation("not_permitted", actor=actor.name, role=actor.role.value, township=state.township)


def check_watched(state: CaseState) -> None:
    """A follow-up check is for a closed case still watched for follow-ups (not one waiting for
    its arrangement to end)."""
    watch = state.monitoring
    if state.stage != Stage.closed:
        raise CaseRuleViolation("wrong_stage", step="follow_up", stage=state.stage.value, expected=Stage.closed.value)
    if watch is None or watch.until is not None:
        raise CaseRuleViolation("not_watched")


def check_session(state: CaseState, session: SessionInput, today: dt.date) -> None:
    """A 送教上门 session: once the plan arranges home delivery, before or after closure."""
    if state.arrangement != Arrangement.home_delivery:
        raise CaseRuleViolation("not_home_delivery")
    if state.stage == Stage.closed and state.monitoring is None:
        raise CaseRuleViolation("case_closed", step="session")
    if session.on > today:
        raise CaseRuleViolation("future_date", field="on", today=today.isoformat())


def check_attempt(attempt: AttemptInput, today: dt.date) -> None:
    """A persuasion attempt, on a day that has come (at any open stage: checked as every step's)."""
    check_not_after_today(attempt.on, "on", today)


def check_not_after_today(day: dt.date | None, field: str, today: dt.date) -> None:
    if day is not None and day > today:
        raise CaseRuleViolation("future_date", field=field, today=today.isoformat())


def check_open(state: CaseState, step: str) -> None:
    if state.stage == Stage.closed:
        raise CaseRuleViolation("case_closed", step=step)


def check_stage(state: CaseState, step: str) -> None:
    check_open(state, step)
    expected = STEPS[step].stage
    assert expected is not None, step
    if state.stage != expected:
        raise CaseRuleViolation("wrong_stage", step=step, stage=state.stage.value, expected=expected.value)


def check_place(state: CaseState, spec: StepSpec) -> None:
    """Where in the case the step may be taken, as its declaration says."""
    if spec.where == Where.at_stage:
        check_stage(state, spec.name)
    elif spec.where == Where.watched:
        check_watched(state)
    elif spec.where == Where.open:
        check_open(state, spec.name)


def _forbid(kind: CaseKind, model: object, fields: tuple[str, ...]) -> None:
    for field in fields:
        value = getattr(model, field)
        if value not in (None, (), ""):
            raise CaseRuleViolation("wrong_kind", field=field, kind=kind.value)


def _require(model: object, fields: tuple[str, ...]) -> None:
    for field in fields:
        if getattr(model, field) in (None, (), ""):
            raise CaseRuleViolation("missing_field", field=field)


def check_visit(kind: CaseKind, visit: VisitInput, today: dt.date) -> None:
    if kind != CaseKind.disability:
        _forbid(kind, visit, _DISABILITY_VISIT_FIELDS)
    if kind != CaseKind.funding:
        _forbid(kind, visit, _FUNDING_VISIT_FIELDS)
    if kind != CaseKind.dropout:
        _forbid(kind, visit, ("dropout_reason",))
    if visit.finding == Finding.excluded:
        _require(visit, ("exclude_reason",))
    elif visit.finding == Finding.whereabouts_unknown:
        if visit.exclude_reason is not None:
            raise CaseRuleViolation("unexpected_field", field="exclude_reason", when="finding=excluded")
    else:
        if visit.exclude_reason is not None:
            raise CaseRuleViolation("unexpected_field", field="exclude_reason", when="finding=excluded")
        if kind == CaseKind.disability:
            _require(visit, ("disability_category",))
        if kind == CaseKind.funding:
            _require(visit, ("household_verified", "education_level"))
    if visit.visited_on is not None and visit.visited_on > today:
        raise CaseRuleViolation("future_date", field="visited_on", today=today.isoformat())


def check_plan(kind: CaseKind, plan: PlanInput, today: dt.date) -> None:
    required = {CaseKind.dropout: "placement", CaseKind.disability: "arrangement", CaseKind.funding: "aid_items"}
    for other_kind, field in required.items():
        if other_kind != kind:
            _forbid(kind, plan, (field,))
    if kind != CaseKind.funding:
        _forbid(kind, plan, ("channel",))
    _require(plan, (required[kind],))
    if plan.target_date < today:
        raise CaseRuleViolation("past_date", field="target_date", today=today.isoformat())
    if plan.arrangement in TIME_LIMITED_ARRANGEMENTS:
        _require(plan, ("until", "approval"))
        assert plan.until is not None
        if plan.until <= today:
            raise CaseRuleViolation("past_date", field="until", today=today.isoformat())
    elif plan.until is not None:
        raise CaseRuleViolation("unexpected_field", field="until", when="arrangement=suspension|deferral")
    if plan.sessions_per_month is not None and plan.arrangement != Arrangement.home_delivery:
        raise CaseRuleViolation("unexpected_field", field="sessions_per_month", when="arrangement=home_delivery")


def check_confirm(kind: CaseKind, confirm: ConfirmInput, today: dt.date) -> None:
    if kind != CaseKind.funding:
        _forbid(kind, confirm, ("delivered_to",))
    if not confirm.evidence and not confirm.evidence_files:
        raise CaseRuleViolation("missing_field", field="evidence")
    if kind == CaseKind.dropout:
        _require(confirm, ("school",))
    if confirm.on is not None and confirm.on > today:
        raise CaseRuleViolation("future_date", field="on", today=today.isoformat())


def check_close(state: CaseState, close: CloseInput) -> None:
    if close.actor.role not in REVIEWER_ROLES:
        raise CaseRuleViolation("reviewer_role", actor=close.actor.name, role=close.actor.role.value)
    if state.confirmed_by_id is not None and close.actor.id is not None:
        same_person = close.actor.id == state.confirmed_by_id
    else:  # confirmed before ids were kept: by name, as then
        same_person = state.confirmed_by is not None and close.actor.name == state.confirmed_by
    if same_person:
        did = "excluded" if state.outcome == Outcome.excluded else "confirmed"
        raise CaseRuleViolation("four_eyes", actor=close.actor.name, did=did)


REPEAT_WINDOW = dt.timedelta(minutes=10)
"""An identical note by the same officer this soon after the last is the officer's retry of a
command whose answer was lost, not a second note."""


def check_not_repeated(last: CaseEvent | None, step: StepInput, now: dt.datetime) -> None:
    """A repeatable step (a note, a persuasion attempt…) identical to the officer's last step
    just before."""
    event = STEPS[step.step].event
    same = _attempt_details(step) if isinstance(step, AttemptInput) else step.details()
    if (
        last is not None
        and last.type == event
        and (last.actor_id == step.actor.id if last.actor_id is not None else last.actor == step.actor.name)
        and all(last.details.get(key) == value for key, value in same.items())
        and now - last.at < REPEAT_WINDOW
    ):
        raise CaseRuleViolation("repeated_note", actor=step.actor.name)


def _attempt_details(attempt: AttemptInput) -> dict[str, str]:
    return {
        "on": attempt.on.isoformat(),
        "persuader_name": attempt.persuader_name,
        "method": attempt.method.value,
        "result": attempt.result,
    }


def check_reassign(state: CaseState, reassign: ReassignInput) -> None:
    target = reassign.to
    if target.role != Role.case_officer or target.township != state.township:
        raise CaseRuleViolation("reassign_target", township=state.township, to=target.name)
    same = (
        target.id == state.assigned_officer_id
        if target.id is not None and state.assigned_officer_id is not None
        else target.name == state.assigned_officer
    )
    if same:
        raise CaseRuleViolation("reassign_same", to=target.name)


StepRule = Callable[[CaseState, Any, dt.date], None]
"""A step's own rule: the case as it is, the step, today in China."""


def check_back(step: Any, today: dt.date) -> None:
    """Only the school that reported the absence says the pupil is back (scope checks which school)."""
    if step.actor.role != Role.school:
        raise CaseRuleViolation("back_school_only", actor=step.actor.name)
    check_not_after_today(step.on, "on", today)


def check_exclusion_proof(visit: VisitInput) -> None:
    """An exclusion carries its proof: an evidence file for every reason, and for a child enrolled
    elsewhere or moved out the school and the 学籍号 there."""
    if visit.finding != Finding.excluded:
        if visit.school is not None or visit.student_no is not None:
            raise CaseRuleViolation("unexpected_field", field="school", when="finding=excluded")
        return
    if not visit.evidence_files:
        raise CaseRuleViolation("exclusion_evidence", reason=str(visit.exclude_reason))
    if visit.exclude_reason in SCHOOL_PROVEN_EXCLUSIONS:
        _require(visit, ("school", "student_no"))


def check_exclusion_close(state: CaseState, close: CloseInput) -> None:
    """An exclusion counts toward 清零 only when the section chief's level or above closes it."""
    if state.outcome == Outcome.excluded and close.actor.role not in EXCLUSION_CLOSERS:
        raise CaseRuleViolation("exclusion_closer", actor=close.actor.name, role=close.actor.role.value)


def check_transfer(state: CaseState, step: TransferInput) -> None:
    if state.transfer is not None:
        raise CaseRuleViolation("transfer_pending", to=state.transfer.to)
    if step.to == state.township:
        raise CaseRuleViolation("transfer_same_township", township=state.township)


def check_transfer_out(state: CaseState) -> None:
    if state.transfer is not None:
        raise CaseRuleViolation("transfer_pending", to=state.transfer.to)


def check_exclusion_check(state: CaseState, actor: Actor) -> None:
    """The group's check of a sampled exclusion: by the group leader of its chain, or a county role."""
    if state.exclusion_check is None:
        raise CaseRuleViolation("no_exclusion_check")
    group_leader = actor.role == Role.group_leader and actor.name == state.chain.group_leader
    if not (group_leader or actor.role == Role.county):
        raise CaseRuleViolation("exclusion_check_role", actor=actor.name, role=actor.role.value)


def check_identify(state: CaseState) -> None:
    """Only a provisional identity can be identified, on a case still running (open or watched)."""
    if not state.provisional:
        raise CaseRuleViolation("not_provisional")
    if state.stage == Stage.closed and state.monitoring is None:
        raise CaseRuleViolation("case_closed", step="identify")


def check_receipt(state: CaseState) -> None:
    if state.transfer is None or state.transfer.county is None:
        raise CaseRuleViolation("no_transfer_out")


def check_transfer_answer(state: CaseState, step: StepInput) -> None:
    transfer = state.transfer
    if transfer is None or transfer.county is not None:
        raise CaseRuleViolation("no_transfer")
    officer = getattr(step, "officer", None)
    if officer is not None and (officer.role != Role.case_officer or officer.township != transfer.to):
        raise CaseRuleViolation("transfer_officer", name=officer.name, township=transfer.to)


SIGNED_RULES: dict[str, StepRule] = {
    "visit": lambda state, step, today: check_exclusion_proof(step),
    "close": lambda state, step, today: check_exclusion_close(state, step),
}
"""Rules a step meets when it is signed and sent (validators only): added after steps were
recorded without them, so a recorded history replays as it was (docs/architecture.md, "The case")."""


STEP_RULES: dict[str, StepRule] = {
    "visit": lambda state, step, today: check_visit(state.kind, step, today),
    "plan": lambda state, step, today: check_plan(state.kind, step, today),
    "confirm": lambda state, step, today: check_confirm(state.kind, step, today),
    "close": lambda state, step, today: check_close(state, step),
    "reassign": lambda state, step, today: check_reassign(state, step),
    "session": lambda state, step, today: check_session(state, step, today),
    "attempt": lambda state, step, today: check_attempt(step, today),
    "pledge": lambda state, step, today: check_not_after_today(step.on, "on", today),
    "back": lambda state, step, today: check_back(step, today),
    "transfer": lambda state, step, today: check_transfer(state, step),
    "transfer_out": lambda state, step, today: check_transfer_out(state),
    "receipt": lambda state, step, today: check_receipt(state),
    "identify": lambda state, step, today: check_identify(state),
    "check_exclusion": lambda state, step, today: check_exclusion_check(state, step.actor),
    "transfer_accept": lambda state, step, today: check_transfer_answer(state, step),
    "transfer_decline": lambda state, step, today: check_transfer_answer(state, step),
}
"""Each step's own rule, by step name; a step without one passes the common checks only."""
