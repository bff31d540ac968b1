"""The three ledgers counties keep (docs/cli.md, `ledger`): 适龄儿童台账 (every child 6–16 in the
registers with enrolment and attendance status), 疑似辍学学生台账 (every suspected dropout with its
reason, case and stage) and 辍学学生台账 (confirmed dropouts: causes, plan, attempts, outcome).
Scoped as every read is; IDs and names masked; any past day as it stood (docs/architecture.md,
"The three ledgers")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from domain.actors import Actor
from domain.campaign import CampaignSpec
from domain.discovery import MAX_AGE, MIN_AGE
from domain.id_number import IdNumberError, birth_date_of, mask_id_number, normalise_id_number
from domain.labels import label
from domain.ledger_columns import book_columns
from domain.messages import t
from domain.privacy import mask_name
from domain.registers import Attendance, Column, RegisterKind, column_for
from domain.scope import may_reveal
from ledger.models import Case, CaseEventRow, Student, XuejiChange
from ledger.personal import event_context
from ledger.register_blocks import RegisterCells
from ledger.registers import ChildRow, register_rows_as_of
from starter.access import scope_of
from starter.context import Context
from starter.errors import BadInput
from starter.report_service import build_report, cutoff_of, reporting_unit

BOOKS = ("children", "suspected", "dropouts", "xueji")
LISTED_REGISTERS = ("household", "enrollment", "attendance")
"""A child on one of these is in the children's ledger; a priority list only adds their groups."""
CHILD_REGISTERS = (RegisterKind.household, RegisterKind.enrollment, RegisterKind.attendance, RegisterKind.priority)


def ledger_book(
    ctx: Context,
    actor: Actor,
    campaign: CampaignSpec,
    book: str,
    *,
    township: str | None = None,
    school: str | None = None,
    as_of: dt.date | None = None,
    reveal: bool = False,
) -> dict[str, Any]:
    """`reveal`: full names and ID numbers on the rows the reader may reveal (`may_reveal`, as for
    a case); the others stay masked. The caller checks the purpose and audits."""
    if book == "children":
        rows = children(ctx, actor, campaign, township=township, school=school, as_of=as_of, reveal=reveal)
        unit = reporting_unit(ctx, actor, township=township, group=None)
        return {
            "book": book,
            "campaign": campaign.name,
            "unit": unit,
            "columns": _columns(campaign, book),
            "rows": rows,
        }
    report = build_report(ctx, actor, campaign, township=township, as_of=as_of)
    if book == "xueji":
        rows = xueji_lines(ctx, report["cases"])
        return {
            "book": book,
            "campaign": campaign.name,
            "unit": report["unit"],
            "as_of": report["as_of"],
            "columns": _columns(campaign, book),
            "rows": rows,
        }
    rows = [row for row in report["cases"] if row["kind"] == "dropout"]
    if book == "dropouts":
        rows = [row for row in rows if row["verified"]]
    details = dropout_details(ctx, [row["case_no"] for row in rows])
    rows = [{**row, **details.get(row["case_no"], NO_DETAILS)} for row in rows]
    if book == "dropouts":
        for row in rows:
            if row["xueji_status"] is None and row.get("xueji_needed"):
                row["xueji_status"] = "pending"
    if reveal:
        rows = revealed_cases(ctx, actor, rows)
    return {
        "book": book,
        "campaign": campaign.name,
        "unit": report["unit"],
        "as_of": report["as_of"],
        "columns": _columns(campaign, book),
        "rows": rows,
    }


def _columns(campaign: CampaignSpec, book: str) -> list[str]:
    """The book's columns as the campaign chose them (its `ledger_columns`), else all of them."""
    return [key for key, _title in book_columns(book, campaign.ledger_columns.get(book))]


def xueji_lines(ctx: Context, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """学籍 follow-through: every closed case whose outcome needs a register change, with the
    change recorded for it (`case xueji`) or `pending`, for the national platform."""
    needing = [row for row in cases if row.get("xueji_needed")]
    with ctx.sessions() as session:
        done = {
            case_no: change
            for case_no, change in session.execute(
                select(Case.case_no, XuejiChange)
                .join(XuejiChange, XuejiChange.case_id == Case.id)
                .where(Case.case_no.in_([row["case_no"] for row in needing]))
                .order_by(XuejiChange.id)
            )
        }
    lines = []
    for row in needing:
        change = done.get(row["case_no"])
        lines.append(
            {
                "case_no": row["case_no"],
                "township": row["township"],
                "id_masked": row["id_masked"],
                "kind": row["kind"],
                "outcome": row["outcome"],
                "closed_at": row["closed_at"],
                "xueji_needed": row["xueji_needed"],
                "status": "done" if change else "pending",
                "xueji_action": change.action if change else None,
                "done_by": change.done_by if change else None,
                "done_on": change.done_on.isoformat() if change else None,
            }
        )
    return lines


def revealed_cases(ctx: Context, actor: Actor, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each case line with the child's name and ID number where the reader may reveal them."""
    with ctx.sessions() as session:
        found = session.execute(
            select(Case.case_no, Case.township, Case.chain, Student)
            .join(Student, Student.id == Case.student_id)
            .where(Case.case_no.in_([row["case_no"] for row in rows]))
        ).all()
    people = {}
    for case_no, township, chain, student in found:
        if may_reveal(actor, township=township, chain=chain or {}):
            people[case_no] = _person_of(ctx, student)
    return [{**row, **people[row["case_no"]]} if row["case_no"] in people else row for row in rows]


def _person_of(ctx: Context, student: Student) -> dict[str, str]:
    context = f"student:{student.child_key}"
    return {
        "name": ctx.cipher.decrypt(student.name_enc, context=f"{context}:name"),
        "id_number": ctx.cipher.decrypt(student.id_number_enc, context=f"{context}:id_number"),
    }


NO_DETAILS: dict[str, Any] = {
    "causes": None,
    "responsible": None,
    "helpers": None,
    "attempt_log": [],
    "returned_on": None,
    "return_school": None,
    "xueji_status": None,
}


def dropout_details(ctx: Context, case_nos: list[str]) -> dict[str, dict[str, Any]]:
    """What the 辍学学生台账 says of each confirmed dropout beyond the case line, from its events
    (sealed at rest: read on the server): the cause the home visit gave, the plan's 1+N (its
    first person and the helpers), every persuasion attempt, the return's day and school, and
    whether the 学籍 change it needs was made."""
    if not case_nos:
        return {}
    with ctx.sessions() as session:
        events = session.execute(
            select(Case.case_no, CaseEventRow.case_id, CaseEventRow.seq, CaseEventRow.type, CaseEventRow.payload,
                   CaseEventRow.payload_enc)
            .join(Case, Case.id == CaseEventRow.case_id)
            .where(Case.case_no.in_(case_nos), CaseEventRow.type.in_(("visited", "planned", "attempted", "confirmed")))
            .order_by(CaseEventRow.case_id, CaseEventRow.seq)
        ).all()  # fmt: skip
        changed = set(
            session.scalars(
                select(Case.case_no).join(XuejiChange, XuejiChange.case_id == Case.id).where(Case.case_no.in_(case_nos))
            )
        )
    found: dict[str, dict[str, Any]] = {}
    for case_no, case_id, seq, kind, plain, blob in events:
        line = found.setdefault(case_no, {**NO_DETAILS, "attempt_log": []})
        details = {**plain, **(ctx.cipher.decrypt_json(blob, context=event_context(case_id, seq)) if blob else {})}
        if kind == "visited" and details.get("dropout_reason"):
            line["causes"] = str(details["dropout_reason"])
        elif kind == "planned" and details.get("responsible"):
            people = details["responsible"]
            line["responsible"] = f"{people[0]['name']}（{people[0]['role']}）"
            line["helpers"] = "、".join(f"{p['name']}（{p['role']}）" for p in people[1:]) or None
        elif kind == "attempted":
            how = label("method", str(details.get("method", "")))
            who = f"{details.get('persuader_name', '')}（{details.get('persuader_role', '')}）"
            line["attempt_log"].append(f"{details.get('on', '')} {how} {who} {details.get('result', '')}".strip())
        elif kind == "confirmed":
            line["returned_on"] = details.get("on")
            line["return_school"] = details.get("school")
    for case_no, line in found.items():
        line["xueji_status"] = "done" if case_no in changed else None
    return found


def children(
    ctx: Context,
    actor: Actor,
    campaign: CampaignSpec,
    *,
    township: str | None,
    school: str | None,
    as_of: dt.date | None,
    reveal: bool = False,
) -> list[dict[str, Any]]:
    """One row a child aged 6–16 in the household, enrollment or attendance register, in the
    reader's scope: where they live (村), who they are (sex, birth date, guardian and phone, masked
    unless revealed), whether enrolled and where (school, grade), what the attendance lists say,
    their priority groups — and, kept up to date by the cases, the child's case, its stage and
    outcome and its 包保责任人 (the plan's "1")."""
    cutoff = cutoff_of(as_of, dt.datetime.now(dt.UTC)) if as_of else None
    with ctx.sessions() as session:
        rows = register_rows_as_of(session, campaign=campaign.name, kinds=CHILD_REGISTERS, cutoff=cutoff)
        if rows is None:
            raise BadInput(t("ledger_day_replaced", day=as_of.isoformat() if as_of else ""))
        lines = _children_lines(ctx, actor, rows, RegisterCells(session, ctx.cipher), township, school, reveal)
        cases = _cases_of_children(ctx, session, campaign=campaign.name, child_keys=[key for key, _l in lines])
    return [{**line, **cases.get(key, NO_CASE)} for key, line in lines]


NO_CASE: dict[str, Any] = {"case_no": None, "case_stage": None, "case_outcome": None, "responsible": None}


def _cases_of_children(
    ctx: Context, session: Any, *, campaign: str, child_keys: list[str]
) -> dict[str, dict[str, Any]]:
    """Each listed child's case of the campaign (a dropout's first, else any; never one merged
    away), with the first person its latest plan names."""
    if not child_keys:
        return {}
    found = session.execute(
        select(Student.child_key, Case)
        .join(Case, Case.student_id == Student.id)
        .where(Student.child_key.in_(child_keys), Case.campaign == campaign, Case.merged_into.is_(None))
        .order_by(Student.child_key, (Case.kind != "dropout"), Case.case_no)
    ).all()
    by_child: dict[str, Case] = {}
    for child_key, case in found:
        by_child.setdefault(child_key, case)
    plans = session.execute(
        select(CaseEventRow.case_id, CaseEventRow.seq, CaseEventRow.payload_enc)
        .where(
            CaseEventRow.case_id.in_([case.id for case in by_child.values()]),
            CaseEventRow.type == "planned",
            CaseEventRow.payload_enc.is_not(None),
        )
        .order_by(CaseEventRow.case_id, CaseEventRow.seq)
    ).all()
    responsible: dict[Any, str] = {}
    for case_id, seq, blob in plans:
        people = ctx.cipher.decrypt_json(blob, context=event_context(case_id, seq)).get("responsible") or []
        if people:
            responsible[case_id] = str(people[0].get("name", ""))
    return {
        child_key: {
            "case_no": case.case_no,
            "case_stage": case.stage,
            "case_outcome": case.outcome,
            "responsible": responsible.get(case.id),
        }
        for child_key, case in by_child.items()
    }


def _children_lines(
    ctx: Context,
    actor: Actor,
    rows: list[ChildRow],
    cells: RegisterCells,
    township: str | None,
    school: str | None,
    reveal: bool,
) -> list[tuple[str, dict[str, Any]]]:
    by_child: dict[str, list[ChildRow]] = {}
    for row in rows:
        by_child.setdefault(row.child_key, []).append(row)
    scope = scope_of(ctx, actor)
    listed = []
    for child_key, child_rows in by_child.items():
        if not any(r.register in LISTED_REGISTERS for r in child_rows):
            continue  # on a priority list only: not one of the registers the ledger lists
        age = next((r.age for r in child_rows if r.age is not None), None)
        if age is None or not MIN_AGE <= age <= MAX_AGE:
            continue
        home = next((r.township for r in child_rows if r.register == "household" and r.township), None)
        place = home or next((r.township for r in child_rows if r.township), None)
        if (scope is not None and place not in scope) or (township and place != township):
            continue
        shown = reveal and place is not None and may_reveal(actor, township=place, chain=_chain(ctx, place))
        line = _child_line(child_rows, cells, age, place, reveal=shown)
        if school and school not in (line["school"] or ""):
            continue
        listed.append((child_key, line))
    return sorted(listed, key=lambda item: (item[1]["township"] or "", item[1]["school"] or "", item[1]["id_masked"]))


def _chain(ctx: Context, township: str) -> dict[str, str]:
    chain = ctx.roster.resolve(township)
    return {"section_chief": chain.section_chief, "office_head": chain.office_head, "group_leader": chain.group_leader}


READ_ORDER = {"household": 0, "enrollment": 1, "attendance": 2, "priority": 3}
"""Whose word a cell is taken from first: where the child lives from the household register,
their school and grade from the enrollment register."""


def _child_line(
    rows: list[ChildRow], register_cells: RegisterCells, age: int, township: str | None, *, reveal: bool
) -> dict[str, Any]:
    enrolled = [r for r in rows if r.register == "enrollment"]
    attendance = [r.status for r in rows if r.register == "attendance" and r.status]
    found: dict[Column, str] = {}
    for row in sorted(rows, key=lambda r: READ_ORDER.get(r.register, 9)):
        cells = register_cells.of(row.file_id, row.row_no, row.block_no, row.cells_enc)
        for header, value in cells.items():
            column = column_for(header)
            if column is None or column in found or not str(value).strip():
                continue
            if column in (Column.school, Column.grade) and row.register != "enrollment" and enrolled:
                continue
            found[column] = str(value).strip()
    name = "".join(found.get(Column.name, "").split())
    id_number = normalise_id_number(found.get(Column.id_number, ""))
    if not attendance:
        status = None
    elif Attendance.present in attendance:
        status = Attendance.present.value
    else:
        status = attendance[0]
    groups = sorted({g for r in rows if r.category for g in r.category.split(",") if g})
    guardian, phone = found.get(Column.guardian, ""), found.get(Column.phone, "")
    person = {"name": name, "id_number": id_number, "guardian": guardian or None, "phone": phone or None}
    return {
        "township": township,
        "village": found.get(Column.village),
        "name_masked": mask_name(name),
        "id_masked": mask_id_number(id_number),
        "sex": found.get(Column.sex) or _sex_of(id_number),
        "birth_date": _born(id_number),
        "guardian_masked": mask_name(guardian) if guardian else None,
        "phone_masked": mask_phone(phone) if phone else None,
        **(person if reveal else {}),
        "age": age,
        "enrolled": bool(enrolled),
        "school": found.get(Column.school) if enrolled else None,
        "grade": found.get(Column.grade) if enrolled else None,
        "attendance": status,
        "priority_groups": groups,
        "registers": sorted({r.register for r in rows}),
    }


def _sex_of(id_number: str) -> str | None:
    """The ID number's 17th digit: odd a boy, even a girl."""
    return ("男" if int(id_number[16]) % 2 else "女") if len(id_number) == 18 and id_number[16].isdigit() else None


def _born(id_number: str) -> str | None:
    try:
        return birth_date_of(id_number).isoformat() if len(id_number) == 18 else None
    except IdNumberError:
        return None


def mask_phone(phone: str) -> str:
    """`138****1234`: the first three and the last four digits."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "*" * len(digits)
