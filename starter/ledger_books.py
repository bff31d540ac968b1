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
from domain.id_number import mask_id_number, normalise_id_number
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
CHILD_REGISTERS = (RegisterKind.household, RegisterKind.enrollment, RegisterKind.attendance)


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
        return {"book": book, "campaign": campaign.name, "unit": unit, "rows": rows}
    report = build_report(ctx, actor, campaign, township=township, as_of=as_of)
    if book == "xueji":
        rows = xueji_lines(ctx, report["cases"])
        return {"book": book, "campaign": campaign.name, "unit": report["unit"], "as_of": report["as_of"], "rows": rows}
    rows = [row for row in report["cases"] if row["kind"] == "dropout"]
    if book == "dropouts":
        rows = [row for row in rows if row["verified"]]
        causes = dropout_causes(ctx, [row["case_no"] for row in rows])
        rows = [{**row, "causes": causes.get(row["case_no"])} for row in rows]
    if reveal:
        rows = revealed_cases(ctx, actor, rows)
    return {"book": book, "campaign": campaign.name, "unit": report["unit"], "as_of": report["as_of"], "rows": rows}


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


def dropout_causes(ctx: Context, case_nos: list[str]) -> dict[str, str]:
    """The reason each home visit gave for the dropout (encrypted at rest: read on the server)."""
    if not case_nos:
        return {}
    with ctx.sessions() as session:
        visits = session.execute(
            select(Case.case_no, CaseEventRow.case_id, CaseEventRow.seq, CaseEventRow.payload_enc)
            .join(Case, Case.id == CaseEventRow.case_id)
            .where(Case.case_no.in_(case_nos), CaseEventRow.type == "visited", CaseEventRow.payload_enc.is_not(None))
            .order_by(CaseEventRow.case_id, CaseEventRow.seq)
        ).all()
    causes: dict[str, str] = {}
    for case_no, case_id, seq, blob in visits:
        details = ctx.cipher.decrypt_json(blob, context=event_context(case_id, seq))
        if details.get("dropout_reason"):
            causes[case_no] = str(details["dropout_reason"])
    return causes


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
    reader's scope: where they live, whether enrolled and where, and what the attendance lists say."""
    cutoff = cutoff_of(as_of, dt.datetime.now(dt.UTC)) if as_of else None
    with ctx.sessions() as session:
        rows = register_rows_as_of(session, campaign=campaign.name, kinds=CHILD_REGISTERS, cutoff=cutoff)
        if rows is None:
            raise BadInput(t("ledger_day_replaced", day=as_of.isoformat() if as_of else ""))
        return _children_lines(ctx, actor, rows, RegisterCells(session, ctx.cipher), township, school, reveal)


def _children_lines(
    ctx: Context,
    actor: Actor,
    rows: list[ChildRow],
    cells: RegisterCells,
    township: str | None,
    school: str | None,
    reveal: bool,
) -> list[dict[str, Any]]:
    by_child: dict[str, list[ChildRow]] = {}
    for row in rows:
        by_child.setdefault(row.child_key, []).append(row)
    scope = scope_of(ctx, actor)
    listed = []
    for child_rows in by_child.values():
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
        listed.append(line)
    return sorted(listed, key=lambda line: (line["township"] or "", line["school"] or "", line["id_masked"]))


def _chain(ctx: Context, township: str) -> dict[str, str]:
    chain = ctx.roster.resolve(township)
    return {"section_chief": chain.section_chief, "office_head": chain.office_head, "group_leader": chain.group_leader}


def _child_line(
    rows: list[ChildRow], register_cells: RegisterCells, age: int, township: str | None, *, reveal: bool
) -> dict[str, Any]:
    enrolled = [r for r in rows if r.register == "enrollment"]
    attendance = [r.status for r in rows if r.register == "attendance" and r.status]
    first = enrolled[0] if enrolled else rows[0]
    cells = register_cells.of(first.file_id, first.row_no, first.block_no, first.cells_enc)
    name = id_number = school = ""
    for header, value in cells.items():
        column = column_for(header)
        if column == Column.name and not name:
            name = "".join(value.split())
        elif column == Column.id_number and not id_number:
            id_number = normalise_id_number(value)
        elif column == Column.school and not school:
            school = value
    if not attendance:
        status = None
    elif Attendance.present in attendance:
        status = Attendance.present.value
    else:
        status = attendance[0]
    person = {"name": name, "id_number": id_number} if reveal else {}
    return {
        "township": township,
        "name_masked": mask_name(name),
        "id_masked": mask_id_number(id_number),
        **person,
        "age": age,
        "enrolled": bool(enrolled),
        "school": school or None,
        "attendance": status,
        "registers": sorted({r.register for r in rows}),
    }
