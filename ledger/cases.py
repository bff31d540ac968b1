"""Cases in the ledger: reserving one per (campaign, kind, child), finding, listing, their events."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, and_, case, cast, func, literal_column, or_, select, text, update
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.orm import Session

from domain.beijing import BEIJING
from domain.case import workflow_id_for
from domain.id_number import mask_id_number
from ledger.models import Case, CaseEventRow, Student
from ledger.personal import PersonalDataCipher

CASE_ID_NAMESPACE = uuid.UUID("0b5d8e4c-2b1f-4d55-9a3c-6a1f0e2b7c11")


def case_id_for(*, campaign: str, kind: str, child_key: str) -> uuid.UUID:
    """Stable and opaque: derived from the keyed child HMAC, never from the ID number."""
    return uuid.uuid5(CASE_ID_NAMESPACE, f"{campaign}|{kind}|{child_key}")


@dataclass(frozen=True)
class Reservation:
    case: Case
    created: bool


PROVISIONAL_MASK = "临时身份"
"""What stands for the ID number of a child recorded without one (never a number's shape)."""


def provisional_key_text(*, name: str, born: dt.date, guardian: str, village: str) -> str:
    """What keys a child with no ID number (its HMAC is their `child_key`): the same four facts
    typed again find the same child. Prefixed, so it can never equal a normalised ID number."""
    return "provisional|" + "|".join("".join(part.split()) for part in (name, born.isoformat(), guardian, village))


def upsert_student(
    session: Session, *, cipher: PersonalDataCipher, id_number: str, name: str, provisional: bool = False
) -> uuid.UUID:
    """The child's row, made if new. `provisional`: `id_number` is `provisional_key_text`, keyed
    but never stored."""
    child_key = cipher.child_key(id_number)
    new_id = uuid.uuid4()
    made = session.scalar(
        insert(Student)
        .values(
            id=new_id,
            child_key=child_key,
            name_enc=cipher.encrypt(name, context=f"student:{child_key}:name"),
            id_number_enc=b"" if provisional else cipher.encrypt(id_number, context=f"student:{child_key}:id_number"),
            id_masked=PROVISIONAL_MASK if provisional else mask_id_number(id_number),
            provisional=provisional,
        )
        .on_conflict_do_nothing(index_elements=["child_key"])
        .returning(Student.id)
    )
    return made or session.scalars(select(Student.id).where(Student.child_key == child_key)).one()


def reserve_case(
    session: Session,
    *,
    cipher: PersonalDataCipher,
    campaign: str,
    kind: str,
    id_number: str,
    name: str,
    township: str,
    group: int,
    chain: dict[str, str],
    roster_version: str,
    intake: dict[str, Any],
    now: dt.datetime,
    reason: str | None = None,
    priority: str = "",
    poverty_risk: bool = False,
    school: str | None = None,
    provisional: bool = False,
) -> Reservation:
    """The one case of this child for this kind in this campaign: the existing one, or a new row
    with a case number drawn once from the sequence (never reused)."""
    student_id = upsert_student(session, cipher=cipher, id_number=id_number, name=name, provisional=provisional)
    existing = _case_of(session, campaign=campaign, kind=kind, student_id=student_id)
    if existing is not None:
        return Reservation(existing, created=False)
    case_id = case_id_for(campaign=campaign, kind=kind, child_key=cipher.child_key(id_number))
    number = session.scalar(text("SELECT nextval('case_no_seq')"))
    year = now.astimezone(BEIJING).year
    inserted = session.scalars(
        insert(Case)
        .values(
            id=case_id,
            case_no=f"{year}-{number:06d}",
            workflow_id=workflow_id_for(str(case_id)),
            campaign=campaign,
            kind=kind,
            student_id=student_id,
            township=township,
            group_no=group,
            stage="discovery",
            opened_at=now,
            roster_version=roster_version,
            chain=chain,
            intake_enc=cipher.encrypt_json(intake, context=f"case:{case_id}:intake") if intake else None,
            last_seq=0,
            updated_at=now,
            reason=reason,
            priority=priority,
            poverty_risk=poverty_risk,
            school=school,
            provisional=provisional,
        )
        .on_conflict_do_nothing()
        .returning(Case)
    ).first()
    if inserted is not None:
        return Reservation(inserted, created=True)
    case = _case_of(session, campaign=campaign, kind=kind, student_id=student_id)
    assert case is not None
    return Reservation(case, created=False)


def _case_of(session: Session, *, campaign: str, kind: str, student_id: uuid.UUID) -> Case | None:
    return session.scalars(
        select(Case).where(
            Case.campaign == campaign, Case.kind == kind, Case.student_id == student_id, Case.merged_into.is_(None)
        )
    ).one_or_none()


def existing_case(
    session: Session, *, cipher: PersonalDataCipher, campaign: str, kind: str, id_number: str
) -> tuple[Case, str | None] | None:
    """This child's case of this kind in this campaign, with the name the ledger knows them by."""
    child_key = cipher.child_key(id_number)
    found = session.execute(
        select(Case, Student)
        .join(Student, Student.id == Case.student_id)
        .where(Student.child_key == child_key, Case.campaign == campaign, Case.kind == kind, Case.merged_into.is_(None))
    ).first()
    if found is None:
        return None
    case, student = found
    if not student.name_enc:  # anonymised by retention
        return case, None
    return case, cipher.decrypt(student.name_enc, context=f"student:{child_key}:name")


def identify_case(
    session: Session, *, cipher: PersonalDataCipher, case: Case, id_number: str, into: Case | None
) -> None:
    """A provisional case's child now has an ID number: the case moves to the ID's own student
    row (made if new, with the name the case knew), and — when the child already had a case of
    this kind (`into`) — is linked to it as merged away, so that one stays the child's case."""
    provisional = session.get_one(Student, case.student_id)
    name = cipher.decrypt(provisional.name_enc, context=f"student:{provisional.child_key}:name")
    student_id = upsert_student(session, cipher=cipher, id_number=id_number, name=name)
    values: dict[str, Any] = {"student_id": student_id, "provisional": False}
    if into is not None:
        values["merged_into"] = into.id
    session.execute(update(Case).where(Case.id == case.id).values(**values))


def merged_cases(session: Session, *, case_id: uuid.UUID) -> list[Case]:
    """The cases merged into this one (their histories are shown with its own)."""
    return list(session.scalars(select(Case).where(Case.merged_into == case_id).order_by(Case.case_no)))


def find_case(session: Session, *, ref: str) -> Case | None:
    """A case by its number (2026-000123) or its workflow id (case-<uuid>)."""
    return session.scalars(select(Case).where(or_(Case.case_no == ref, Case.workflow_id == ref))).one_or_none()


def student_of(session: Session, *, case: Case) -> Student:
    return session.get_one(Student, case.student_id)


@dataclass(frozen=True)
class CaseFilter:
    townships: frozenset[str] | None = None
    """The reader's scope: None is every township."""
    township: str | None = None
    group: int | None = None
    kind: str | None = None
    stage: str | None = None
    campaign: str | None = None
    overdue_at: dt.datetime | None = None
    open_only: bool = False
    stalled: bool = False
    limit: int | None = None
    school: str | None = None
    """A school officer's scope: the cases their school reported."""


def filtered_cases(query: Select[Any], where: CaseFilter) -> Select[Any]:
    if where.school is not None:
        query = query.where(Case.school == where.school)
    if where.townships is not None:
        townships = sorted(where.townships)
        query = query.where(or_(Case.township.in_(townships), Case.transfer["to"].as_string().in_(townships)))
    if where.township:
        query = query.where(Case.township == where.township)
    if where.group is not None:
        query = query.where(Case.group_no == where.group)
    if where.kind:
        query = query.where(Case.kind == where.kind)
    if where.stage:
        query = query.where(Case.stage == where.stage)
    if where.campaign:
        query = query.where(Case.campaign == where.campaign)
    live = or_(Case.stage != "closed", Case.next_check_at.is_not(None))
    if where.open_only:
        query = query.where(live)
    if where.stalled:
        query = query.where(Case.stalled.is_(True), live)
    if where.overdue_at is not None:
        query = query.where(live, Case.due_at < where.overdue_at)
    return query


def list_cases(session: Session, *, where: CaseFilter) -> list[Case]:
    query = filtered_cases(select(Case), where).order_by((Case.priority == "").asc(), Case.case_no)
    if where.limit is not None:
        query = query.limit(where.limit)
    return list(session.scalars(query))


LISTED = (
    "case_no", "workflow_id", "campaign", "kind", "township", "group_no", "stage", "assigned_officer", "opened_at",
    "due_at", "closed_at", "outcome", "escalation_level", "next_escalation_at", "missed_deadline", "stalled",
    "due_capped", "episode", "reason", "priority", "poverty_risk", "next_check_at", "checks_done", "checks_left",
    "roster_version", "whereabouts_unknown", "transfer", "provisional",
    "exclusion_check_due",
)  # fmt: skip
CHAIN_KEYS = ("section_chief", "office_head", "group_leader")


class CaseListing:
    """A case row as a list shows it: the plain columns and the chain's three names, read by one
    Core query (no ORM objects, no JSON parsed). Read like a `Case` by `case_summary`."""

    __slots__ = (*LISTED, "chain")

    case_no: str
    workflow_id: str
    campaign: str
    kind: str
    township: str
    group_no: int
    stage: str
    assigned_officer: str | None
    opened_at: dt.datetime
    due_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome: str | None
    escalation_level: int | None
    next_escalation_at: dt.datetime | None
    missed_deadline: bool
    stalled: bool
    due_capped: bool
    episode: int
    reason: str | None
    priority: str
    poverty_risk: bool
    next_check_at: dt.datetime | None
    checks_done: int
    checks_left: int
    roster_version: str
    whereabouts_unknown: bool
    transfer: dict[str, Any] | None
    provisional: bool
    exclusion_check_due: dt.datetime | None
    chain: dict[str, Any]

    def __init__(self, values: Sequence[Any]) -> None:
        for name, value in zip(LISTED, values, strict=False):
            setattr(self, name, value)
        self.chain = dict(zip(CHAIN_KEYS, values[len(LISTED) :], strict=True))


def listed_cases(session: Session, *, where: CaseFilter, now: dt.datetime) -> list[tuple[str, int, bool]]:
    """(case id, last_seq, overdue now) of the cases the filter selects, in the list's order:
    priority cases first, then by number. PostgreSQL writes them as one text (`id,seq,0|1` a
    line): turning 10,000 rows of uuids and times into Python objects took longer than the rest
    of a list together."""
    live = or_(Case.stage != "closed", Case.next_check_at.is_not(None))
    late = case((and_(Case.due_at.is_not(None), live, Case.due_at < now), "1"), else_="0")
    line = func.concat_ws(",", cast(Case.id, Text), Case.last_seq, late)
    ordinary, case_no = (Case.priority == "").label("ordinary"), Case.case_no.label("sort_no")
    rows = filtered_cases(select(line.label("line"), ordinary, case_no), where).order_by(ordinary, case_no)
    if where.limit is not None:
        rows = rows.limit(where.limit)
    listed = rows.subquery()
    newline: ColumnElement[str] = literal_column("E'\\n'")
    joined = func.string_agg(listed.c.line, aggregate_order_by(newline, listed.c.ordinary, listed.c.sort_no))
    text_ = session.connection().execute(select(joined)).scalar_one()
    result = []
    for entry in text_.split("\n") if text_ else ():
        case_id, seq, overdue = entry.split(",")
        result.append((case_id, int(seq), overdue == "1"))
    return result


def case_listings(session: Session, ids: Collection[str]) -> list[tuple[str, int, CaseListing]]:
    """(id, last_seq, listing) of these cases, as the ledger holds them now."""
    columns = [getattr(Case, name) for name in LISTED]
    chain = [Case.chain[key].as_string() for key in CHAIN_KEYS]
    query = select(Case.id, Case.last_seq, *columns, *chain).where(Case.id.in_(list(ids)))
    return [(str(row[0]), row[1], CaseListing(row[2:])) for row in session.connection().execute(query)]


def recent_steps(
    session: Session, *, case_id: uuid.UUID, actor: str, actor_id: int | None, event: str, since: dt.datetime
) -> int:
    """How many `event`s the officer recorded on the case since `since` (by id; by name for events
    recorded before ids were kept)."""
    by_name = and_(CaseEventRow.actor_id.is_(None), CaseEventRow.actor == actor)
    query = select(func.count()).where(
        CaseEventRow.case_id == case_id,
        or_(CaseEventRow.actor_id == actor_id, by_name) if actor_id is not None else CaseEventRow.actor == actor,
        CaseEventRow.type == event,
        CaseEventRow.at >= since,
    )
    return session.execute(query).scalar_one()


def case_events(session: Session, *, case_id: uuid.UUID) -> list[CaseEventRow]:
    return list(session.scalars(select(CaseEventRow).where(CaseEventRow.case_id == case_id).order_by(CaseEventRow.seq)))
