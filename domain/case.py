"""A case as Temporal holds it: opaque ids and non-personal fields only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.actors import Actor, Chain
from domain.campaign import EscalationPolicy, ExclusionSample, HomeDelivery
from domain.enums import Arrangement, CaseKind, EventType, Outcome, Stage
from domain.signing import MergeTarget, OfficerKey, TransferTarget, sign, verify, without_unset_additions
from domain.stage_machine import Due, move_after, stage_due
from domain.step_specs import STEPS
from domain.wire import canonical_json
from domain.work_calendar import WorkCalendar


def workflow_id_for(case_id: str) -> str:
    return f"case-{case_id}"


CASE_GENERATION = 7
"""Generation 1 has every behaviour added behind `workflow.patched` before it (bounded ladder,
deadline spread and cap, monitoring, local activities); generation 2 adds continuing as new when a
run's history grows long, whatever woke the case; generation 3 tells the receiving township of a
transfer request at once; generation 4 restores a case with the due time and the ladder its
ledger holds (a restore never moves a due time nor sends a rung again); generation 5 opens a case
quietly: the seal vouches for the generation, so the seal check asks no patch, and the opening
stage is due from the ledger's `opened_at` — the server sets that due time as the start's search
attribute, so the first task upserts nothing it already holds. A run that starts under a generation takes its
behaviours from its input, so its history holds no patch marker and no `TemporalChangeVersion`
upsert for each — four of each per case, a third of a new case's history (issue 15). Generation
6 escalates a stage due at the clearance deadline in the deadline's own wake: one task, one
projection and one delivery for the rung and the deadline, not two of each minutes apart.
Generation 7 hands an escalation's notices to apprise from the local activity that projects it:
one local activity a wake, a delivery activity only for what failed."""


def _sorted_sets(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted_sets(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_sorted_sets(item) for item in value]
        return sorted(items) if all(isinstance(item, str) for item in items) else items
    return value


class CaseStart(BaseModel):
    """The workflow's input: everything it needs without personal data."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    case_no: str
    campaign: str
    kind: CaseKind
    township: str
    group: int
    chain: Chain
    opened_by: Actor
    assigned_officer: str | None = None
    assigned_officer_id: int | None = None
    opened_at: dt.datetime
    officers: dict[str, OfficerKey] = Field(default_factory=dict)
    """The registry snapshot: who may sign steps of this case (refreshed by a signed signal)."""
    service_key: str | None = None
    """The public half of the server's service key: the only signer of registry and chain changes."""
    resume: CaseState | None = None
    """A case restored by `verify --repair`: the state its ledger holds, carried on from there."""
    resume_reason: str | None = None
    withdrawn: list[int] = Field(default_factory=list)
    """Ledger events (their sequence numbers) of steps the earlier run never committed: the restored
    run says so in its `restored` event and numbers on after them."""
    carry: CaseCarry | None = None
    """A run continued as new: everything the case had in memory, in one model."""
    continue_after_events: int = 2000
    """History events of one run before it continues as new (Temporal may suggest it earlier)."""
    stage_durations: dict[Stage, dt.timedelta] = Field(default_factory=dict)
    calendar: str = "calendar"
    work_calendar: WorkCalendar | None = None
    clearance_deadline: dt.datetime | None = None
    escalation: EscalationPolicy = Field(default_factory=EscalationPolicy)
    monitoring: tuple[dt.timedelta, ...] = ()
    """Follow-up checks after a closure as returned or arranged, as offsets from the closure."""
    follow_up_within: dt.timedelta = dt.timedelta(days=5)
    """How long after its date a follow-up check is due (then it escalates like a stage)."""
    reopen_reason: str | None = None
    """With `resume`: the closed case is opened again as a new episode (discovery found it)."""
    generation: int = 0
    """The workflow code's generation this run started under (`CASE_GENERATION` for new runs; 0
    for runs started before generations existed, which ask `workflow.patched` instead)."""
    school: str | None = None
    """The school that reported the pupil absent (its officers may report the pupil back)."""
    first_due_at: dt.datetime | None = None
    """The opening stage's due time when the server sets it (a case a school's absence report
    raised: the home visit the same working day); unset, the stage's duration decides."""
    receipt_within: dt.timedelta | None = None
    """How long a transfer out of the county may wait for the receiving school's 学籍."""
    transfer_within: dt.timedelta | None = None
    """How long a receiving township has to answer a transfer before it escalates on both chains."""
    exclusion_sample: ExclusionSample | None = None
    """The campaign's sample of exclusions the group checks after closure (unset: none)."""
    provisional: bool = False
    """Opened without an ID number (`case open --no-id-number`): the identity is provisional until
    `case identify`."""
    home_delivery: HomeDelivery | None = None
    """The campaign's 送教上门 rule: a home-delivery arrangement is watched month by month for as
    long as it lasts (unset: a session every 15 days while the follow-up checks last)."""
    seal: str = ""
    """The service key's signature over everything above (but `carry`): a start, restore or
    reopening the server made. A run continued as new carries its first run's seal along."""

    def seal_message(self) -> bytes:
        """What the seal covers, the same bytes on both sides: sets (a calendar's days) come out
        of a model in no fixed order, so every list is sorted when it holds only plain values."""
        body = _sorted_sets(without_unset_additions(self.model_dump(mode="json", exclude={"seal", "carry"})))
        return f"baoxue-start/1|{self.case_id}|{canonical_json(body)}".encode()

    def opening_stage(self) -> Stage:
        move = move_after(self.kind, EventType.opened)
        assert move is not None
        return move.to

    def opening_due(self) -> Due:
        """When the opening stage is due, counted from the ledger's `opened_at` (generation 5):
        the workflow enters the stage with it and the server names it in the start's search
        attributes, both from this one computation."""
        due = stage_due(
            self.opened_at, self.stage_durations.get(self.opening_stage()), self.work_calendar, self.clearance_deadline
        )
        if self.first_due_at is None:
            return due
        return Due(min(self.first_due_at, due.at) if due.at else self.first_due_at)

    def sealed_with(self, key: Ed25519PrivateKey) -> CaseStart:
        return self.model_copy(update={"seal": sign(key, self.seal_message())})

    def sealed_by(self, trusted: frozenset[str]) -> bool:
        """Signed by one of the service keys the worker trusts (not merely by the key it names)."""
        key = self.service_key
        return bool(self.seal) and key is not None and key in trusted and verify(key, self.seal_message(), self.seal)


class CaseEvent(BaseModel):
    """One entry of the timeline; `seq` orders it and builds its business key."""

    model_config = ConfigDict(frozen=True)

    seq: int
    type: str
    """One of `EventType`, or a step's event as declared (domain/step_specs.py)."""
    stage: Stage
    actor: str
    at: dt.datetime
    details: dict[str, Any] = Field(default_factory=dict)
    actor_id: int | None = None
    """The acting officer's id; None for the system's own events (escalations, watches)."""

    @field_validator("type")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in EVENT_TYPES:
            raise ValueError(f"unknown event type {value!r}")
        return value


EVENT_TYPES = frozenset({*EventType, *(spec.event for spec in STEPS.values())})


SESSION_MONTH = dt.timedelta(days=30)
"""送教上门 without the campaign's rule: a month's sessions are spread over 30 days."""


class Watch(BaseModel):
    """A closed case still watched (动态监测): the next follow-up check and how many are left, or —
    for a suspension or deferral — the day it ends and the case reopens."""

    next_check_at: dt.datetime
    checks_done: int = 0
    checks_left: int = 0
    until: dt.date | None = None
    session_every: dt.timedelta | None = None
    """送教上门: a session is due this long after the last (or the closure)."""
    last_session_at: dt.datetime | None = None
    sessions_per_month: int | None = None
    """送教上门 under the campaign's rule (`CampaignSpec.home_delivery`): the sessions each month
    owes, counted from the month after the closure; watched for as long as the arrangement lasts."""
    sessions_held: int = 0
    months_from: dt.date | None = None
    """The first day of the first month that owes sessions."""


class PendingTransfer(BaseModel):
    """A request to hand the case to another township (转出), waiting for that township's answer;
    the receiving chain as the server named it (a service-signed `TransferTarget`). Out of the
    county (`county` set): the case waits for the receiving school's 学籍 (`receipt`), its own
    chain the only one told."""

    to: str
    requested_at: dt.datetime
    by: str
    by_id: int | None = None
    chain: Chain
    group: int
    rung: int = 0
    county: str | None = None
    """Out of the county: the county the child moved to (`to` is then that county too)."""
    school: str | None = None
    """The rungs of its own ladder reached (unanswered past the campaign's `transfer`)."""


class ExclusionCheck(BaseModel):
    """A closed exclusion drawn for the group's check (组长抽查): due by `due_at`, its group leader
    reminded once when it is past."""

    due_at: dt.datetime
    reminded: bool = False


def drawn_for_check(case_id: str, percent: int) -> bool:
    """Whether the case is in the campaign's sample: by its id alone, so a replay draws the same."""
    return int(case_id.replace("-", ""), 16) % 100 < percent


class CaseState(BaseModel):
    case_id: str
    case_no: str
    workflow_id: str
    campaign: str
    kind: CaseKind
    township: str
    group: int
    chain: Chain
    stage: Stage
    assigned_officer: str | None = None
    assigned_officer_id: int | None = None
    """The assigned officer's id: reminders and "assigned to me" go by it (the name is for showing)."""
    school: str | None = None
    """The school that reported the pupil absent, if a school did."""
    opened_at: dt.datetime
    due_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    outcome: Outcome | None = None
    confirmed_by: str | None = None
    confirmed_by_id: int | None = None
    """Who confirmed (or excluded), by officer id: four eyes compares people, not names."""
    escalation_level: int | None = None
    next_escalation_at: dt.datetime | None = None
    missed_deadline: bool = False
    stalled: bool = False
    """The stage's top-level reminders have run out (repeat_max); only doing the step clears it."""
    whereabouts_unknown: bool = False
    """The last home visit did not find the child (下落不明): open, still escalating, flagged."""
    transfer: PendingTransfer | None = None
    """A hand-over to another township asked for and not yet answered."""
    provisional: bool = False
    """The child has no ID number on record yet (临时身份): shown wherever the case is."""
    exclusion_check: ExclusionCheck | None = None
    """Closed as excluded and drawn for the group's check, not yet checked."""
    due_capped: bool = False
    """The stage's budget ran past the clearance deadline: it is due at the deadline instead."""
    episode: int = 1
    """1, then one more each time the closed case is opened again (relapse and the like)."""
    arrangement: Arrangement | None = None
    arrangement_until: dt.date | None = None
    sessions_per_month: int | None = None
    monitoring: Watch | None = None
    last_seq: int = 0


class CaseCarry(BaseModel):
    """The case's whole memory, held by its workflow as this one model and handed to the next run
    when it continues as new. The timeline carried is only its recent part: the ledger holds the
    rest."""

    state: CaseState
    officers: dict[str, OfficerKey] = Field(default_factory=dict)
    trust_issued_at: dt.datetime | None = None
    rung: int = 0
    recent: list[CaseEvent] = Field(default_factory=list)
    transfer_target: TransferTarget | None = None
    """The receiving township the server named for the transfer about to be asked for."""
    merge_target: MergeTarget | None = None
    """The case the server named for the identification about to be recorded (same child)."""


def event_business_key(case_id: str, event: CaseEvent) -> str:
    """The key an event's ledger row is written under once, however often it is projected."""
    return f"{case_id}:{event.type}:{event.seq}"


LEDGER_AHEAD = "LedgerAhead"
"""The projection's refusal of an event whose number the ledger gives to another (an event of a
workflow task that failed after projecting it): its details hold the ledger's last number."""


class Projection(BaseModel):
    """What the ledger activity writes: the event (and any recorded with it in the same workflow
    task, `also`) and the state right after them, in one transaction."""

    model_config = ConfigDict(frozen=True)

    business_key: str
    event: CaseEvent
    state: CaseState
    also: tuple[CaseEvent, ...] = ()

    def keyed_events(self) -> list[tuple[str, CaseEvent]]:
        return [(self.business_key, self.event)] + [
            (event_business_key(self.state.case_id, event), event) for event in self.also
        ]


class Delivery(BaseModel):
    """Which escalation's outbox rows to deliver."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    case_no: str
    event_seq: int
    more_seqs: tuple[int, ...] = ()
    """Escalations recorded in the same wake (generation 6: a stage due at the clearance deadline)."""

    @property
    def event_seqs(self) -> tuple[int, ...]:
        return (self.event_seq, *self.more_seqs)


CaseStart.model_rebuild()
