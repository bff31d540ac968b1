"""SQLAlchemy models of the ledger. Pydantic schemas live in domain/, not here."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Sequence,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JsonB = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    pass


CASE_NO_SEQUENCE = Sequence("case_no_seq", metadata=Base.metadata)


class Officer(Base):
    """A person who acts on cases: a township's case officer, or one of the roster's chain, or county."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    township: Mapped[str | None] = mapped_column(String(32))
    school: Mapped[str | None] = mapped_column(String(64))
    """A school officer's school (`schools.name`); their township is the school's."""
    notify_urls: Mapped[list[str]] = mapped_column(JsonB, default=list)
    digest_at: Mapped[str | None] = mapped_column(String(5))
    """The officer's daily digest, Beijing time `HH:MM` (`baoxue notify --digest`); None: none."""
    public_key: Mapped[str | None] = mapped_column(String(64))
    enrol_code_hash: Mapped[str | None] = mapped_column(String(64))
    enrol_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    enrolled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    seal: Mapped[str | None] = mapped_column(String(64))
    """A keyed MAC of who the row says the officer is (ledger/officers.py, `sealed_text`), written
    by the server with every change it makes: a change made in the database is listed by `verify`."""

    @property
    def ref(self) -> str:
        """How people tell two officers of the same name apart: NAME@TOWNSHIP."""
        return f"{self.name}@{self.township}" if self.township else self.name


class RequestNonce(Base):
    """Nonces of signed requests seen in the last minutes: a replayed request is refused."""

    __tablename__ = "request_nonces"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    officer_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class Campaign(Base):
    """One 回头看 campaign: ages are counted on reference_date; everything closes by the deadline."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    reference_date: Mapped[dt.date] = mapped_column(Date)
    clearance_deadline: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    spec: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Student(Base):
    """A child. Name and ID number only encrypted; `child_key` is the keyed HMAC used to deduplicate."""

    __tablename__ = "students"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    child_key: Mapped[str] = mapped_column(String(64), unique=True)
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_masked: Mapped[str] = mapped_column(String(18))
    provisional: Mapped[bool] = mapped_column(Boolean, server_default="false")
    """Recorded without an ID number (临时身份): keyed by name, birth date, guardian and village;
    `id_number_enc` is empty. A case of theirs identified later moves to the ID's own row."""
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class School(Base):
    """A school of the county: it reports who is in school every month (一月一报告)."""

    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    township: Mapped[str] = mapped_column(String(32), index=True)
    stage: Mapped[str | None] = mapped_column(String(16))
    added_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SchoolCheck(Base):
    """The county's quarterly recheck of a school's reported figures (一季度一复核), or a term-start
    field visit (开学初入校入户): who, when, pupils sampled, discrepancies and the cases they opened."""

    __tablename__ = "school_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64))
    school: Mapped[str] = mapped_column(String(64), index=True)
    township: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    """`quarterly` or `term_start` (domain.reporting.CheckKind)."""
    period: Mapped[str] = mapped_column(String(16))
    """The quarter (`2026Q4`) or the term (`2027春`) it counts for."""
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    checked_by: Mapped[str] = mapped_column(String(64))
    checked_by_id: Mapped[int | None] = mapped_column(Integer)
    sampled: Mapped[int] = mapped_column(Integer)
    discrepancies: Mapped[int] = mapped_column(Integer)
    cases: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The case numbers its discrepancies opened or found open."""
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)


class Case(Base):
    """The projection of a case's current state: one row a case, written by the workflow's activity."""

    __tablename__ = "cases"
    __table_args__ = (
        Index(
            "uq_cases_one_per_child",
            "campaign",
            "kind",
            "student_id",
            unique=True,
            postgresql_where=text("merged_into IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_no: Mapped[str] = mapped_column(String(16), unique=True)
    workflow_id: Mapped[str] = mapped_column(String(64), unique=True)
    campaign: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id"))
    township: Mapped[str] = mapped_column(String(32), index=True)
    group_no: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(24), index=True)
    assigned_officer: Mapped[str | None] = mapped_column(String(64))
    """The assigned officer's name as recorded, for showing; who it is: `assigned_officer_id`."""
    assigned_officer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    """No foreign key on the ids a projection writes: they come from the case's signed history, and a
    projection that a constraint refused would be retried forever."""
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
    confirmed_by_id: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(16))
    roster_version: Mapped[str] = mapped_column(String(32))
    chain: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    intake_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    escalation_level: Mapped[int | None] = mapped_column(Integer)
    next_escalation_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    missed_deadline: Mapped[bool] = mapped_column(Boolean, default=False)
    stalled: Mapped[bool] = mapped_column(Boolean, default=False)
    due_capped: Mapped[bool] = mapped_column(Boolean, default=False)
    episode: Mapped[int] = mapped_column(Integer, default=1)
    next_check_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    checks_done: Mapped[int] = mapped_column(Integer, default=0)
    checks_left: Mapped[int] = mapped_column(Integer, default=0)
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    school: Mapped[str | None] = mapped_column(String(64), index=True)
    """The school that reported the pupil absent (`baoxue absence`): its officers may act on it."""
    reason: Mapped[str | None] = mapped_column(String(32))
    """Why discovery raised it: never_enrolled, enrolled_not_attending, … (None: opened by hand)."""
    priority: Mapped[str] = mapped_column(String(128), default="")
    """The child's priority groups when the case opened, comma-joined codes; empty: none."""
    poverty_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    """A dropout whose household is on the alleviated register (防止返贫监测)."""
    whereabouts_unknown: Mapped[bool] = mapped_column(Boolean, server_default="false")
    """The last home visit did not find the child (下落不明): open, flagged wherever shown."""
    transfer: Mapped[dict[str, Any] | None] = mapped_column(JsonB)
    """A hand-over to another township waiting for its answer: {"to", "requested_at", "by"}."""
    sessions_watch: Mapped[dict[str, Any] | None] = mapped_column(JsonB)
    """送教上门 watched month by month: {"per_month", "held", "from"} (domain.case.Watch)."""
    provisional: Mapped[bool] = mapped_column(Boolean, server_default="false")
    """The child's identity is provisional (no ID number yet): shown wherever the case is."""
    exclusion_check_due: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """Closed as excluded and drawn for the group's check (组长抽查): checked by then."""
    merged_into: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    """Closed into the same child's other case (合并): that case shows this one's history too. One
    case a child, kind and campaign counts only cases not merged away."""
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CaseEventRow(Base):
    """Append-only timeline; `business_key` (<case>:<step>:<n>) makes a retried write a no-op."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_events_seq"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    business_key: Mapped[str] = mapped_column(String(128), unique=True)
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(24))
    stage: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    """The acting officer; None for the system's events and for events recorded before ids were kept."""
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    payload_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    seal: Mapped[str | None] = mapped_column(String(64))
    """The worker's HMAC over the plain columns (ledger/event_seals.py); None before seals were kept."""
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Notification(Base):
    """The outbox: one row per recipient of an escalation or a re-check reminder; delivery updates
    status, never inserts."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index(
            "ix_notifications_rung",
            "case_id",
            "recipient_id",
            "level",
            "stage",
            postgresql_where=text("status = 'sent'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    business_key: Mapped[str] = mapped_column(String(160), unique=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"), index=True)
    """None for a re-check reminder (no case: the county's attendance register is late)."""
    event_seq: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(24))
    recipient: Mapped[str] = mapped_column(String(64))
    """The recipient's name as the reminder shows it."""
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    """Who receives it: the officer, resolved when the row is written (a case's own township first;
    a name that stands for two people elsewhere is left unresolved, and such a row is not sent)."""
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    topic: Mapped[str | None] = mapped_column(String(24))
    """What the row is about: `escalated` (a rung of a case's ladder), `transfer_requested`,
    `merged`, `order`, `recheck`, `digest`, `delivery_failed`; None on rows written before 0029."""
    failure_told: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Whether the recipient's township lead and the administrators were told it could not be sent."""


class RegisterFile(Base):
    """One imported register file; the newest of a register in a campaign is `current`."""

    __tablename__ = "register_files"
    __table_args__ = (UniqueConstraint("campaign", "register", "content_hash", name="uq_register_files_content"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64))
    register: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(255))
    sheet: Mapped[str | None] = mapped_column(String(128))
    content_hash: Mapped[str] = mapped_column(String(64))
    data_rows: Mapped[int] = mapped_column(Integer)
    valid_rows: Mapped[int] = mapped_column(Integer)
    rejected_rows: Mapped[int] = mapped_column(Integer)
    blank_rows: Mapped[int] = mapped_column(Integer)
    current: Mapped[bool] = mapped_column(Boolean)
    imported_by: Mapped[str | None] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    scope: Mapped[str] = mapped_column(String(8), server_default="county")
    """What the file speaks for: `county`, `township` or `school` (domain.registers.Scope)."""
    scope_unit: Mapped[str | None] = mapped_column(String(64))
    """The township or school it speaks for; None for the county."""


class RegisterRow(Base):
    """A valid row: the child key, the few non-personal fields discovery needs, where its cells
    are sealed. Written only by `ledger.registers.store_register`, in the transaction that adds
    its file, and deleted with that file's version: so no foreign key is checked 200,000 times an
    import (it was a third of storing a register; docs/architecture.md, "Registers and
    discovery")."""

    __tablename__ = "register_rows"

    file_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    row_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_key: Mapped[str] = mapped_column(String(64))
    township: Mapped[str | None] = mapped_column(String(32))
    age: Mapped[int | None] = mapped_column(Integer)
    has_arrangement: Mapped[bool] = mapped_column(Boolean, default=False)
    education_stage: Mapped[str | None] = mapped_column(String(16))
    aid_item: Mapped[str | None] = mapped_column(String(64))
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str | None] = mapped_column(String(16))
    """Attendance rows: present, suspended, transferred, left or other (domain.registers.Attendance)."""
    category: Mapped[str | None] = mapped_column(String(64))
    """Priority rows: the groups, comma-joined codes (domain.registers.PriorityCategory)."""
    school: Mapped[str | None] = mapped_column(String(64))
    """Enrollment and attendance rows: the row's school, as `schools.name` keeps names."""
    block_no: Mapped[int | None] = mapped_column(Integer)
    """The register block holding the row's cells (rows imported since migration 0017)."""
    cells_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The row's cells sealed alone (rows imported before migration 0017)."""


class RegisterBlock(Base):
    """The cells of up to `ledger.register_blocks.BLOCK_ROWS` consecutive rows of a file, sealed
    together: one AES-GCM seal per block instead of one per row (docs/architecture.md, "Registers
    and discovery")."""

    __tablename__ = "register_blocks"

    file_id: Mapped[int] = mapped_column(ForeignKey("register_files.id", ondelete="CASCADE"), primary_key=True)
    block_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    cells_enc: Mapped[bytes] = mapped_column(LargeBinary)


class RegisterReject(Base):
    __tablename__ = "register_rejects"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("register_files.id", ondelete="CASCADE"), index=True)
    row_no: Mapped[int] = mapped_column(Integer)
    column_name: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))
    value_masked: Mapped[str] = mapped_column(String(64))


class CaseSource(Base):
    """The register rows that raised a case."""

    __tablename__ = "case_sources"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("register_files.id"), primary_key=True)
    row_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    register: Mapped[str] = mapped_column(String(16))


class AuditEntry(Base):
    """Who looked at or revealed what, and who was refused: append-only (see migration 0006)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    case_no: Mapped[str | None] = mapped_column(String(16))
    purpose_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    detail: Mapped[str | None] = mapped_column(String(200))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 over the previous row's hash and this row: a removed or altered row breaks the chain."""


class EvidenceFile(Base):
    """One 佐证资料 file of a case: its bytes encrypted under the data key, its SHA-256 in the
    event of the step it supports. Retention erases the bytes and keeps the digest."""

    __tablename__ = "evidence_files"
    __table_args__ = (UniqueConstraint("case_id", "sha256", name="uq_evidence_once_per_case"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    blob_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class DashboardSession(Base):
    """A browser session of the dashboard: the cookie's token is kept only as its SHA-256."""

    __tablename__ = "dashboard_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    officer_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class StepSignature(Base):
    """An officer's signed step as the API server received it, before it was sent to the case:
    what `verify` re-checks each step event in the ledger against (ledger/step_signatures.py)."""

    __tablename__ = "step_signatures"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    """The sequence number the step's event takes (the one it was signed for, plus one)."""
    step: Mapped[str] = mapped_column(String(24))
    officer_id: Mapped[int] = mapped_column(Integer)
    public_key: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    fields_enc: Mapped[bytes] = mapped_column(LargeBinary)
    """The fields exactly as the officer's client signed them, encrypted (they may name a child)."""
    seal: Mapped[str] = mapped_column(String(64))
    """The server's MAC over the row: one the database's owner wrote is not accounted for."""

    __table_args__ = (UniqueConstraint("case_id", "seq", "signature", name="uq_step_signatures_once"),)


class LedgerEpoch(Base):
    """Where a guarantee began: events before it were written before it existed."""

    __tablename__ = "ledger_epochs"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger)


class Inspection(Base):
    """A 包片 group's inspection (督查) of a township: when, where, the cases sampled, the finding."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64), index=True)
    township: Mapped[str] = mapped_column(String(32), index=True)
    group_no: Mapped[int] = mapped_column(Integer)
    inspected_on: Mapped[dt.date] = mapped_column(Date)
    villages: Mapped[list[str]] = mapped_column(JSON, default=list)
    schools: Mapped[list[str]] = mapped_column(JSON, default=list)
    sampled: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Case numbers."""
    finding_enc: Mapped[bytes] = mapped_column(LargeBinary)
    """May name a child: sealed like a note."""
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_by_id: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RectificationOrder(Base):
    """A rectification order (整改通知) to a township: answered by its due day, or its ladder climbs
    (workflows/order.py)."""

    __tablename__ = "rectification_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64), index=True)
    township: Mapped[str] = mapped_column(String(32), index=True)
    group_no: Mapped[int] = mapped_column(Integer)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    text_enc: Mapped[bytes] = mapped_column(LargeBinary)
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_by_id: Mapped[int | None] = mapped_column(Integer)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answer_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    escalation_level: Mapped[int | None] = mapped_column(Integer)
    """The highest rung reached unanswered (0 the township, 1 the section, 2 the group leader)."""


class AccountabilityDecision(Base):
    """An accountability decision (问责) the county recorded, with its evidence in the record."""

    __tablename__ = "accountability_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64), index=True)
    unit: Mapped[str] = mapped_column(String(64))
    person: Mapped[str | None] = mapped_column(String(64))
    ground: Mapped[str] = mapped_column(String(32))
    cases: Mapped[list[str]] = mapped_column(JSON, default=list)
    reminders: Mapped[list[int]] = mapped_column(JSON, default=list)
    orders: Mapped[list[int]] = mapped_column(JSON, default=list)
    decision_enc: Mapped[bytes] = mapped_column(LargeBinary)
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_by_id: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RecordFile(Base):
    """An evidence file of a supervision record (`inspection:3`, `order:5`, `accountability:2`),
    sealed as a case's evidence is."""

    __tablename__ = "record_files"
    __table_args__ = (UniqueConstraint("record", "sha256", name="uq_record_file_once"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    record: Mapped[str] = mapped_column(String(40), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    blob_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class XuejiChange(Base):
    """A 学籍 change made on the national register for a case (恢复在读, 转入, …): which, by whom
    (the school's or township's 学籍 clerk, by name), when, and who recorded it here."""

    __tablename__ = "xueji_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    done_by: Mapped[str] = mapped_column(String(64))
    done_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_by_id: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
