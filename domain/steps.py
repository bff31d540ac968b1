"""What each officer action carries. One model per update; kind-specific fields are optional
here and required or forbidden by the case's kind (see domain.rules)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

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


class VisitInput(StepInput):
    finding: Finding
    exclude_reason: ExcludeReason | None = None
    note: str | None = None
    visited_on: dt.date | None = None
    dropout_reason: str | None = None
    disability_category: str | None = None
    can_attend: bool | None = None
    household_verified: bool | None = None
    education_level: EducationLevel | None = None
    aid_due: bool | None = None


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


class ConfirmInput(StepInput):
    evidence: tuple[str, ...] = ()
    evidence_files: tuple[EvidenceRef, ...] = ()
    school: str | None = None
    on: dt.date | None = None
    delivered_to: AidChannel | None = None
    note: str | None = None


class CloseInput(StepInput):
    note: str | None = None


class ReassignInput(StepInput):
    to: Actor


class NoteInput(StepInput):
    text: str = Field(min_length=1)


class SessionInput(StepInput):
    """One 送教上门 session held: the day, what was taught, its evidence."""

    on: dt.date
    note: str | None = None
    evidence: tuple[str, ...] = ()
    evidence_files: tuple[EvidenceRef, ...] = ()


class AttemptInput(StepInput):
    """One persuasion attempt (劝返) at any open stage: repeatable, each one recorded."""

    on: dt.date
    persuader_name: str = Field(min_length=1, max_length=64)
    persuader_role: str = Field(min_length=1, max_length=32)
    method: AttemptMethod
    result: str = Field(min_length=1, max_length=2000)
    evidence_files: tuple[EvidenceRef, ...] = ()


class FollowUpInput(StepInput):
    """A check after closure: is the child attending? `attending=False` is a relapse."""

    attending: bool
    note: str | None = None
    evidence: tuple[str, ...] = ()
    evidence_files: tuple[EvidenceRef, ...] = ()
