"""Projecting accepted steps into the ledger: `cases` and `case_events` in one transaction (run by
the worker's `project_case` activity, and by `verify --repair` for what a lagging ledger missed).

Idempotent on the business key the workflow builds (<case>:<step>:<n>): a retried activity
inserts nothing the second time, and the case row only ever moves forward (last_seq). An event
whose number the ledger already gives to another event is refused (`LedgerAheadError`), never
taken for written: the ledger holds a step the case never committed (docs/architecture.md,
"A step the case never committed").
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import sessionmaker

from domain.case import CaseEvent, CaseState, Projection, Watch
from domain.enums import CHAIN_ROLES, GOVERNMENT_ROLES, EventType, Role
from domain.privacy import split_details
from domain.reminders import merge_text, reminder_text, transfer_text
from ledger.event_seals import sealed_text
from ledger.models import Case, CaseEventRow, Notification, Officer
from ledger.personal import PersonalDataCipher, event_context

_EVENTS = cast(Table, CaseEventRow.__table__)
_OUTBOX = cast(Table, Notification.__table__)
_CASES = cast(Table, Case.__table__)
_OFFICERS = cast(Table, Officer.__table__)
# Built once: SQLAlchemy memoises a statement's cache key on the statement, so a projection
# (thousands a minute in an escalation storm) neither rebuilds nor re-keys its SQL.
_INSERT_EVENT = insert(_EVENTS).on_conflict_do_nothing().returning(_EVENTS.c.id)
_INSERT_OUTBOX = insert(_OUTBOX).on_conflict_do_nothing(index_elements=["business_key"])
_EVENT_AT = select(_EVENTS.c.business_key, _EVENTS.c.actor_id, _EVENTS.c.payload).where(
    _EVENTS.c.case_id == bindparam("case_id"), _EVENTS.c.seq == bindparam("seq")
)
_LAST_EVENT = select(func.max(_EVENTS.c.seq)).where(_EVENTS.c.case_id == bindparam("case_id"))


class LedgerAheadError(Exception):
    """The ledger already holds another event under a number the case gives its own: an event
    projected in a workflow task that then failed, and never committed (`ledger_last`: the
    ledger's last event number, after which the case numbers on)."""

    def __init__(self, seq: int, ledger_last: int) -> None:
        super().__init__(f"ledger holds another event at {seq} (its last is {ledger_last})")
        self.seq = seq
        self.ledger_last = ledger_last


_GOVERNMENT_LINE = select(_OFFICERS.c.name, _OFFICERS.c.id).where(
    _OFFICERS.c.role.in_([role.value for role in GOVERNMENT_ROLES]),
    _OFFICERS.c.township == bindparam("township"),
    _OFFICERS.c.revoked_at.is_(None),
)
"""A township's government line (双线责任: 乡镇分管领导, 村干部), copied on its level-1 reminders."""
_TOWNSHIP_PEOPLE = (
    select(_OFFICERS.c.name, _OFFICERS.c.role, _OFFICERS.c.id)
    .where(
        _OFFICERS.c.role.in_([Role.case_officer.value, Role.township_lead.value]),
        _OFFICERS.c.township == bindparam("township"),
        _OFFICERS.c.revoked_at.is_(None),
    )
    .order_by(_OFFICERS.c.id)
)
_SCHOOL_OFFICERS = (
    select(_OFFICERS.c.name, _OFFICERS.c.id)
    .where(
        _OFFICERS.c.role == Role.school.value,
        _OFFICERS.c.school == bindparam("school"),
        _OFFICERS.c.revoked_at.is_(None),
    )
    .order_by(_OFFICERS.c.id)
)
_CASE_COLUMNS = (
    "stage", "assigned_officer", "assigned_officer_id", "confirmed_by", "confirmed_by_id", "due_at", "closed_at",
    "outcome", "escalation_level", "next_escalation_at", "missed_deadline", "stalled", "due_capped", "episode",
    "next_check_at", "checks_done", "checks_left", "chain", "roster_version", "last_seq", "updated_at",
    "sessions_watch", "whereabouts_unknown", "transfer", "township", "group_no",
    "provisional", "exclusion_check_due",
)  # fmt: skip


_UPDATE_CASE = (
    update(_CASES)
    .where(_CASES.c.id == bindparam("case_id"), _CASES.c.last_seq < bindparam("seq"))
    .values({name: bindparam(f"new_{name}") for name in _CASE_COLUMNS})
)


_INTO = _CASES.alias("into_case")
_MERGED_INTO = (
    update(_CASES)
    .where(_CASES.c.id == bindparam("case_id"))
    .values(merged_into=select(_INTO.c.id).where(_INTO.c.case_no == bindparam("into")).scalar_subquery())
)
"""A case closed as merged links to the case it went into, with the event that says so."""

Told = list[tuple[str, int | None]]
NOTICE_EVENTS = frozenset({EventType.escalated, EventType.merged, EventType.merged_in, "transfer_requested"})
"""Events whose recipients get an outbox row: reminders, the notice of a merge to both sides, and
of a transfer request to the receiving township."""


def _expand_recipients(connection: Connection, event: CaseEvent, state: CaseState) -> CaseEvent:
    """Who an escalation tells, each as the officer (id) it is delivered to, recorded on its event.
    A level-0 reminder goes to the assigned officer (an unassigned case's to every case officer
    of its township) with the township's lead copied, and the reporting school's officers for a
    case a school reported; a level-1 reminder also to the township's government line (双线:
    乡镇分管领导, 村干部); only the ledger knows who they are."""
    details = event.details
    if event.type not in NOTICE_EVENTS or event.type == "transfer_requested":
        return event
    told = _told(connection, details, state)
    if details.get("level") == 0:
        people = connection.execute(_TOWNSHIP_PEOPLE, {"township": state.township}).all()
        told = told or [(name, officer_id) for name, role, officer_id in people if role == Role.case_officer.value]
        known = {officer_id for _name, officer_id in told}
        told += [(name, i) for name, role, i in people if role == Role.township_lead.value and i not in known]
        if state.school:  # the school that reported the absence is copied
            reporters = connection.execute(_SCHOOL_OFFICERS, {"school": state.school}).all()
            told += [(name, i) for name, i in reporters if i not in known]
    elif details.get("level") == 1 and event.type == EventType.escalated:  # 双线: the government line copied
        known = {officer_id for _name, officer_id in told}
        line = connection.execute(_GOVERNMENT_LINE, {"township": state.township}).all()
        told += [(name, i) for name, i in line if i not in known]
    names, ids = [name for name, _id in told], [officer_id for _name, officer_id in told]
    if names == details.get("recipients") and ids == details.get("recipient_ids"):
        return event
    return event.model_copy(update={"details": {**details, "recipients": names, "recipient_ids": ids}})


def _told(connection: Connection, details: dict[str, Any], state: CaseState) -> Told:
    """The event's recipients with their ids; an event recorded before ids were kept (names only)
    has each name resolved as the case's ledger row knows the person (its assignee, its chain),
    else as `_recipient_ids` does."""
    names: list[str] = details.get("recipients") or []
    ids: list[int | None] | None = details.get("recipient_ids")
    if ids is not None and len(ids) == len(names):
        return list(zip(names, ids, strict=True))
    known = _people_of(state)
    resolved = _recipient_ids(connection, [n for n in names if n not in known], state.township)
    return [(name, known.get(name, resolved.get(name))) for name in names]


def _people_of(state: CaseState) -> dict[str, int]:
    people = {name: officer_id for name, officer_id in (state.chain.person(role) for role in CHAIN_ROLES) if officer_id}
    if state.assigned_officer and state.assigned_officer_id:
        people[state.assigned_officer] = state.assigned_officer_id
    return people


_LEDGER_PEOPLE = select(_CASES.c.assigned_officer, _CASES.c.assigned_officer_id, _CASES.c.chain).where(
    _CASES.c.id == bindparam("case_id")
)


def _with_ledger_ids(connection: Connection, state: CaseState) -> CaseState:
    """A run that started before ids were kept carries names only: the ids the ledger holds for the
    same people (resolved by the migration) are kept rather than overwritten with none."""
    chain = state.chain
    chain_unknown = all(chain.person(role)[1] is None for role in CHAIN_ROLES)
    if not chain_unknown and not (state.assigned_officer and state.assigned_officer_id is None):
        return state
    row = connection.execute(_LEDGER_PEOPLE, {"case_id": uuid.UUID(state.case_id)}).first()
    if row is None:
        return state
    assigned, assigned_id, ledger_chain = row
    update: dict[str, Any] = {}
    if state.assigned_officer_id is None and assigned_id and assigned == state.assigned_officer:
        update["assigned_officer_id"] = assigned_id
    if chain_unknown:
        ids = {
            f"{role.value}_id": ledger_chain.get(f"{role.value}_id")
            for role in CHAIN_ROLES
            if ledger_chain.get(role.value) == chain.person(role)[0]
        }
        update["chain"] = chain.model_copy(update={key: value for key, value in ids.items() if value})
    return state.model_copy(update=update)


_PEOPLE_NAMED = select(_OFFICERS.c.name, _OFFICERS.c.township, _OFFICERS.c.id).where(
    _OFFICERS.c.name.in_(bindparam("names", expanding=True)), _OFFICERS.c.revoked_at.is_(None)
)


def _recipient_ids(connection: Connection, names: list[str], township: str) -> dict[str, int]:
    """Each name as the officer it means: the one of the case's township, else the only one of
    that name; a name that stands for two officers elsewhere is left out (never guessed)."""
    if not names:
        return {}
    found: dict[str, list[tuple[str | None, int]]] = {}
    for name, where, officer_id in connection.execute(_PEOPLE_NAMED, {"names": names}).all():
        found.setdefault(name, []).append((where, officer_id))
    ids = {}
    for name, people in found.items():
        local = [officer_id for where, officer_id in people if where == township]
        if len(local) == 1 or len(people) == 1:
            ids[name] = local[0] if len(local) == 1 else people[0][1]
    return ids


def _outbox_rows(connection: Connection, business_key: str, event: CaseEvent, state: CaseState) -> None:
    """One row a person told, keyed by the officer's id (by the name only when no officer is known)."""
    details = event.details
    recipients = list(zip(details.get("recipients", []), details.get("recipient_ids", []), strict=True))
    if not recipients:
        return
    deadline = dt.datetime.fromisoformat(details["deadline"]) if details.get("deadline") else None
    if event.type == "transfer_requested":
        message = transfer_text(case_no=state.case_no, township=state.township, to=details.get("to", ""))
    elif event.type == EventType.escalated:
        message = reminder_text(
            case_no=state.case_no,
            township=state.township,
            stage=event.stage.value,
            level=details["level"],
            reason=details.get("reason", "overdue"),
            overdue_seconds=details.get("overdue_seconds", 0),
            deadline=deadline,
            late=bool(details.get("late")),
        )
    else:
        message = merge_text(
            case_no=state.case_no,
            township=state.township,
            merged_into=details.get("merged_into"),
            into_township=details.get("into_township"),
            from_case_no=details.get("from_case_no"),
            from_township=details.get("from_township"),
        )
    case_id = uuid.UUID(state.case_id)
    connection.execute(
        _INSERT_OUTBOX,
        [
            {
                "business_key": f"{business_key}:{recipient}"
                if officer_id is None
                else f"{business_key}:#{officer_id}",
                "case_id": case_id,
                "event_seq": event.seq,
                "level": details["level"],
                "stage": event.stage.value,
                "recipient": recipient,
                "recipient_id": officer_id,
                "message": message,
                "status": "pending",
                "attempts": 0,
                "topic": str(event.type),
            }
            for recipient, officer_id in recipients
        ],
    )


def _case_values(state: CaseState, event: CaseEvent) -> dict[str, Any]:
    watch = state.monitoring
    values = {
        "stage": state.stage.value,
        "assigned_officer": state.assigned_officer,
        "assigned_officer_id": state.assigned_officer_id,
        "confirmed_by": state.confirmed_by,
        "confirmed_by_id": state.confirmed_by_id,
        "due_at": state.due_at,
        "closed_at": state.closed_at,
        "outcome": state.outcome.value if state.outcome else None,
        "escalation_level": state.escalation_level,
        "next_escalation_at": state.next_escalation_at,
        "missed_deadline": state.missed_deadline,
        "stalled": state.stalled,
        "due_capped": state.due_capped,
        "episode": state.episode,
        "next_check_at": watch.next_check_at if watch else None,
        "checks_done": watch.checks_done if watch else 0,
        "checks_left": watch.checks_left if watch else 0,
        "chain": state.chain.model_dump(mode="json", exclude_none=True),
        "roster_version": state.chain.roster_version,
        "last_seq": event.seq,
        "updated_at": event.at,
        "sessions_watch": _sessions_watch(watch),
        "whereabouts_unknown": state.whereabouts_unknown,
        "transfer": _transfer(state),
        "township": state.township,
        "group_no": state.group,
        "provisional": state.provisional,
        "exclusion_check_due": state.exclusion_check.due_at if state.exclusion_check else None,
    }
    return {f"new_{name}": value for name, value in values.items()}


def _transfer(state: CaseState) -> dict[str, Any] | None:
    transfer = state.transfer
    if transfer is None:
        return None
    return transfer.model_dump(mode="json")


def _sessions_watch(watch: Watch | None) -> dict[str, Any] | None:
    if watch is None or not watch.sessions_per_month or watch.months_from is None:
        return None
    return {"per_month": watch.sessions_per_month, "held": watch.sessions_held, "from": watch.months_from.isoformat()}


def write_projection(sessions: sessionmaker, projection: Projection, cipher: PersonalDataCipher) -> bool:
    """Write one projection (its events in order, then the case's row as of the last); True when
    any event was new, False when all had been written before."""
    case_id = uuid.UUID(projection.state.case_id)
    with sessions.begin() as session:
        connection = session.connection()
        state = _with_ledger_ids(connection, projection.state)
        new = False
        for business_key, recorded in projection.keyed_events():
            event = _expand_recipients(connection, recorded, state)
            inserted = _insert_event(connection, cipher, case_id, business_key, event)
            if not inserted and not _written_before(connection, case_id, business_key, event):
                last = connection.execute(_LAST_EVENT, {"case_id": case_id}).scalar_one()
                raise LedgerAheadError(event.seq, last)
            if event.type in NOTICE_EVENTS and inserted:
                _outbox_rows(connection, business_key, event, state)
            new = new or inserted
        connection.execute(_UPDATE_CASE, {"case_id": case_id, "seq": event.seq, **_case_values(state, event)})
        if event.type == EventType.merged:
            connection.execute(_MERGED_INTO, {"case_id": case_id, "into": event.details.get("merged_into")})
    return new


def ledger_last_seq(sessions: sessionmaker, case_id: uuid.UUID) -> int:
    with sessions() as session:
        return session.connection().execute(_LAST_EVENT, {"case_id": case_id}).scalar_one() or 0


def _written_before(connection: Connection, case_id: uuid.UUID, business_key: str, event: CaseEvent) -> bool:
    """Whether the event already in the ledger under this number is this one, written by an earlier
    attempt: the same key, and for an officer's step also the same actor and details (a step the
    case never committed may have been of the same kind). A system event of the same key is the
    same wake recorded again, its figures (how late, how overdue) taken at a later moment."""
    row = connection.execute(_EVENT_AT, {"case_id": case_id, "seq": event.seq}).first()
    if row is None:
        return True  # its key is taken at another number: only ever the same event (the key holds the number)
    key, actor_id, payload = row
    if key != business_key:
        return False
    if event.actor_id is None:
        return True
    plain, _personal = split_details(event.details)
    return actor_id == event.actor_id and payload == json.loads(json.dumps(plain))


def _insert_event(
    connection: Connection, cipher: PersonalDataCipher, case_id: uuid.UUID, business_key: str, event: CaseEvent
) -> bool:
    """The event's row, sealed, its personal details encrypted; False when it was there already."""
    plain, personal = split_details(event.details)
    seal = cipher.seal(
        sealed_text(case_id, event.seq, event.type, event.stage.value, event.actor, event.actor_id, event.at, plain)
    )
    inserted = connection.execute(
        _INSERT_EVENT,
        {
            "case_id": case_id,
            "business_key": business_key,
            "seq": event.seq,
            "type": event.type,
            "stage": event.stage.value,
            "actor": event.actor,
            "actor_id": event.actor_id,
            "at": event.at,
            "payload": plain,
            "seal": seal,
            "payload_enc": cipher.encrypt_json(personal, context=event_context(case_id, event.seq))
            if personal
            else None,
        },
    ).first()
    return inserted is not None
