"""What each officer step carries: one model per step, named by its declaration
(domain/step_specs.py) through `step`. Kind-specific fields are optional here and required or
forbidden by the case's kind (domain.rules). A step declared with `fields` and no model here gets
one built from its declaration (`input_model`). A model says what its step records (`recorded`)
and what it sets on the case's own fields (`apply`); the stage it moves to is the stage
machine's (domain/stage_machine.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, create_model

from domain.actors import Actor
from domain.enums import (
    AidChannel,
    Arrangement,
    AttemptMethod,
    EducationLevel,
    ExcludeReason,
    Finding,
    Placement,
)
from domain.signing import UNSIGNED_FIELDS
from domain.step_specs import STEPS, FieldKind, StepSpec

if TYPE_CHECKING:
    from domain.case import CaseState


class EvidenceRef(BaseModel):
    """An uploaded file as a step names it: its id in the case and its SHA-256."""

    model_config = ConfigDict(frozen=True)

    id: int = Field(ge=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class StepInput(BaseModel):
    """`actor` is filled in by the server from the signed-in officer; the officer signs
    `signed_fields` (the step's other fields as their client serialised them) bound to the case's
    `expected_seq` and `signed_at` (see domain.signing)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step: ClassVar[str] = ""
    """The declaration this model carries the fields of (domain/step_specs.py)."""

    actor: Actor
    signed_at: dt.datetime | None = None
    signature: str | None = None
    signed_fields: str | None = None
    signed_at_text: str | None = None
    expected_seq: int | None = None

    def fields(self) -> dict[str, object]:
        """The step's own fields, as validated (what the signed text must equal)."""
        return self.model_dump(
            mode="json",
            exclude={"actor", "signed_at", "signature", "signed_fields", "signed_at_text", "expected_seq"},
        )

    def details(self) -> dict[str, Any]:
        """The fields the officer gave; who signed it and how is the actor, not a detail."""
        return self.model_dump(
            mode="json", exclude={"actor", *UNSIGNED_FIELDS}, exclude_none=True, exclude_defaults=True
        )

    def recorded(self, state: CaseState) -> dict[str, Any]:
        """What the step's event records (by default its details)."""
        return self.details()

    def apply(self, state: CaseState) -> None:
        """What the step sets on the case's own fields, beyond its stage (by default nothing)."""


class VisitInput(StepInput):
    step = "visit"
    finding: Finding
    exclude_reason: ExcludeReason | None = None
    note: str | None = None
    visited_on: dt.date | None = None
    dropout_reason: str | None = None
    dropout_cause: str | None = Field(default=None, max_length=16)
    """The cause's category (the campaign's `dropout_causes`): required by the server when a
    dropout is confirmed; `dropout_reason` the officer's own words."""
    disability_category: str | None = None
    can_attend: bool | None = None
    household_verified: bool | None = None
    education_level: EducationLevel | None = None
    aid_due: bool | None = None
    evidence_files: tuple[EvidenceRef, ...] = ()
    """The proof an exclusion needs (a death record, an exit record, the other school's 学籍 page);
    any visit may carry files."""
    school: str | None = Field(default=None, max_length=64)
    """An exclusion as enrolled elsewhere or moved out: the school the child is enrolled at."""
    student_no: str | None = Field(default=None, max_length=32)
    """… and the child's 学籍号 there."""
    village: str | None = Field(default=None, min_length=1, max_length=64)
    """The village (村（社区）) visited: the report's coverage counts villages and households."""

    def apply(self, state: CaseState) -> None:
        state.whereabouts_unknown = self.finding == Finding.whereabouts_unknown


class AidItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    item: str = Field(min_length=1)
    amount: Decimal = Field(gt=0)


class ResponsiblePerson(BaseModel):
    """One of the 1+N: the lead and the helpers (驻村干部, 村组, teachers…)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1)
    role: str = Field(min_length=1)


class PlanInput(StepInput):
    step = "plan"
    target_date: dt.date
    placement: Placement | None = None
    arrangement: Arrangement | None = None
    aid_items: tuple[AidItem, ...] = ()
    channel: AidChannel | None = None
    procedure: str | None = None
    measures: tuple[str, ...] = ()
    responsible: tuple[ResponsiblePerson, ...] = ()
    until: dt.date | None = None
    """A suspension's or deferral's end: the case reopens that day to check the return."""
    approval: str | None = None
    """The approving document's reference (休学/缓学 are arranged 按程序)."""
    sessions_per_month: int | None = Field(default=None, ge=1, le=31)
    """送教上门: how many sessions a month the plan promises (2 when not said)."""

    def apply(self, state: CaseState) -> None:
        state.arrangement = self.arrangement
        state.arrangement_until = self.until
        state.sessions_per_month = self.sessions_per_month


class ConfirmInput(StepInput):
    step = "confirm"
    evidence: tuple[str, ...] = ()
    evidence_files: tuple[EvidenceRef, ...] = ()
    school: str | None = None
    on: dt.date | None = None
    delivered_to: AidChannel | None = None
    note: str | None = None


class CloseInput(StepInput):
    step = "close"
    note: str | None = None


class ReassignInput(StepInput):
    step = "reassign"
    to: Actor

    def recorded(self, state: CaseState) -> dict[str, Any]:
        return {"from": state.assigned_officer, "to": self.to.name, "from_id": state.assigned_officer_id,
                "to_id": self.to.id}  # fmt: skip

    def apply(self, state: CaseState) -> None:
        state.assigned_officer = self.to.name
        state.assigned_officer_id = self.to.id


class NoteInput(StepInput):
    step = "note"
    text: str = Field(min_length=1)


class SessionInput(StepInput):
    """One 送教上门 session held: the day, what was taught, its evidence."""

    step = "session"

    on: dt.date
    note: str | None = None
    evidence: tuple[str, ...] = ()
    evidence_files: tuple[EvidenceRef, ...] = ()
    hours: float | None = Field(default=None, gt=0, le=12)
    """The class hours taught (课时)."""


class TransferInput(StepInput):
    """转出: ask another township of the county to take the case over (the child moved there)."""

    step = "transfer"
    to: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=2000)
    evidence_files: tuple[EvidenceRef, ...] = ()


class TransferOutInput(StepInput):
    """转出县外: the child moved out of the county; the case waits, watched, for the receiving
    school's 学籍 (`ReceiptInput`) and is not cleared before."""

    step = "transfer_out"
    to_county: str = Field(min_length=1, max_length=64)
    school: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)
    evidence_files: tuple[EvidenceRef, ...] = ()


class ReceiptInput(StepInput):
    """The receiving school's 学籍 for a child who moved out of the county, with its proof: the
    case goes to closure as excluded (moved out), for a section chief to close."""

    step = "receipt"
    school: str = Field(min_length=1, max_length=64)
    student_no: str = Field(min_length=1, max_length=32)
    evidence_files: tuple[EvidenceRef, ...] = Field(min_length=1)

    def recorded(self, state: CaseState) -> dict[str, Any]:
        county = state.transfer.county if state.transfer else None
        return {**self.details(), "to_county": county, "exclude_reason": "moved_out"}

    def apply(self, state: CaseState) -> None:
        state.transfer = None


class TransferAcceptInput(StepInput):
    """The receiving township takes the case; `officer` (one of its case officers) is assigned.
    The case keeps its number, history, plan and evidence; its township, chain and assignee become
    the receiving side's."""

    step = "transfer_accept"
    officer: Actor | None = None

    def recorded(self, state: CaseState) -> dict[str, Any]:
        transfer = state.transfer
        assert transfer is not None
        return {
            "from_township": state.township,
            "from_group": state.group,
            "to_township": transfer.to,
            "to_group": transfer.group,
            "officer": self.officer.name if self.officer else None,
            "officer_id": self.officer.id if self.officer else None,
        }

    def apply(self, state: CaseState) -> None:
        transfer = state.transfer
        assert transfer is not None
        state.township, state.group, state.chain = transfer.to, transfer.group, transfer.chain
        state.assigned_officer = self.officer.name if self.officer else None
        state.assigned_officer_id = self.officer.id if self.officer else None
        state.transfer = None


class TransferDeclineInput(StepInput):
    step = "transfer_decline"
    reason: str = Field(min_length=1, max_length=2000)

    def recorded(self, state: CaseState) -> dict[str, Any]:
        assert state.transfer is not None
        return {"to_township": state.transfer.to, "reason": self.reason}

    def apply(self, state: CaseState) -> None:
        state.transfer = None


class AttemptInput(StepInput):
    """One persuasion attempt (劝返) at any open stage: repeatable, each one recorded."""

    step = "attempt"

    on: dt.date
    persuader_name: str = Field(min_length=1, max_length=64)
    persuader_role: str = Field(min_length=1, max_length=32)
    method: AttemptMethod
    result: str = Field(min_length=1, max_length=2000)
    evidence_files: tuple[EvidenceRef, ...] = ()


class IdentifyInput(StepInput):
    """The ID number of a child whose case was opened without one is now known. The number itself
    goes to the server beside the signed step, never into the case's history; where the child
    already has a case of this kind, the server names it (`MergeTarget`) and this one closes into it."""

    step = "identify"

    def apply(self, state: CaseState) -> None:
        state.provisional = False


class FollowUpInput(StepInput):
    """A check after closure: is the child attending? `attending=False` is a relapse."""

    step = "follow_up"

    attending: bool
    note: str | None = None
    evidence: tuple[str, ...] = ()
    evidence_files: tuple[EvidenceRef, ...] = ()

    def recorded(self, state: CaseState) -> dict[str, Any]:
        done = state.monitoring.checks_done if state.monitoring is not None else 0
        return {**self.details(), "check": done + 1}


_FIELD_TYPES: dict[FieldKind, Any] = {
    FieldKind.text: str,
    FieldKind.date: dt.date,
    FieldKind.number: int,
    FieldKind.yes_no: bool,
    FieldKind.evidence: tuple[EvidenceRef, ...],
}


def _built(spec: StepSpec) -> type[StepInput]:
    """The input model of a step declared with `fields`: each field typed by its kind."""
    fields: dict[str, Any] = {}
    for field in spec.fields:
        kind = _FIELD_TYPES[field.kind]
        longest = field.max_length if field.kind == FieldKind.text else None
        shortest = 1 if field.kind == FieldKind.text else None
        if field.kind == FieldKind.evidence:
            fields[field.name] = (kind, ())
        elif field.required:
            fields[field.name] = (kind, Field(min_length=shortest, max_length=longest))
        else:
            fields[field.name] = (kind | None, Field(default=None, min_length=shortest, max_length=longest))
    model: type[StepInput] = create_model(f"{spec.name.title()}Input", __base__=StepInput, **fields)
    model.step = spec.name
    return model


def _models() -> dict[str, type[StepInput]]:
    written: dict[str, type[StepInput]] = {}
    pending = list(StepInput.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.step:
            written[model.step] = model
    return {name: written.get(name) or _built(spec) for name, spec in STEPS.items()}


INPUTS: dict[str, type[StepInput]] = _models()
"""Every declared step's input model, by step name."""


def input_model(step: str) -> type[StepInput] | None:
    return INPUTS.get(step)
