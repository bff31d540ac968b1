"""Importing registers and discovering suspects: the administrator's side of
docs/architecture.md, "Registers and discovery"."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from domain.actors import Actor
from domain.campaign import CampaignSpec
from domain.discovery import Reason, Suspect, attendance_gaps, find_review, find_suspects
from domain.enums import CaseKind, Outcome, Role, Stage
from domain.exports import safe_row
from domain.id_number import mask_id_number, mask_long_digits, normalise_id_number
from domain.labels import label
from domain.messages import t
from domain.register_scopes import COUNTY, FileScope, Scope
from domain.registers import (
    HEADER_LABELS,
    Attendance,
    Column,
    ParsedRegister,
    RegisterKind,
    Rejection,
    cell_text,
    column_for,
)
from domain.schools import school_name, stage_from_name
from domain.signing import ReopenRequest
from ledger.models import Case, RegisterFile, RegisterRow, School, Student
from ledger.registers import (
    current_file,
    current_rows,
    previous_import,
    registers_imported_since,
    rejected_rows_total,
    rows_cells,
    store_register,
)
from ledger.schools import SchoolEntry, save_schools
from starter.bulk_work import collector_paused
from starter.case_service import (
    OpenRequest,
    Reserved,
    ledger_caught_up,
    open_case,
    prepare_opener,
    reserve_many,
    restart_from_ledger,
)
from starter.context import Context
from starter.errors import BadInput, CliError
from starter.id_batch import ages_on
from starter.register_files import TableCaps, file_digest, read_register
from workflows.case import CaseWorkflow

DISCOVERY_ACTOR = Actor(name="县教委（排查比对）", role=Role.county)

REJECT_REASONS = {
    "check_digit": "校验码不符",
    "length": "身份证号位数不对",
    "characters": "身份证号含非法字符",
    "birth_date": "出生日期不存在",
    "missing": "缺少必填项",
    "unknown_township": "未知乡镇（街道）",
    "birth_date_range": "出生日期不合理（晚于基准日，或早于基准日40年以上）",
    "control_characters": "含有控制字符",
    "other_school": "不是本校学生（学校一栏是别的学校）",
}
OLDEST_IN_A_REGISTER = 40
"""Years on the reference date beyond which a register's row is a slip, not a student."""

Progress = Callable[[int, int], None]


@dataclass
class ImportSummary:
    register: str
    campaign: str
    file: str
    unchanged: bool
    rows: int = 0
    valid: int = 0
    rejected_rows: int = 0
    blank_rows: int = 0
    replaced: int = 0
    header_row: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    rejects_file: str | None = None
    report_file: str | None = None
    reinstated: bool = False
    """The file had been imported before and replaced since: it is the current version again."""
    scope: str = "county"
    scope_unit: str | None = None
    schools_added: int = 0
    """An enrollment register: schools it named that the county's list did not have."""
    xueji_flags: list[dict[str, Any]] = field(default_factory=list)
    """An attendance list: cases closed as returned or arranged whose child it shows as not in
    school (辍学, 转出, 休学) — the 学籍 to be checked (`{"case_no", "township", "status"}`)."""


SHRINK_GUARD = 0.5
"""A new version with fewer than half the valid rows of the current one is refused without
`--replace`: more likely a partial export than half the county's children gone."""


def reports_dir(ctx: Context) -> Path:
    folder = ctx.settings.data_dir.expanduser().resolve() / "reports"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CliError(t("io_error", path=folder, error=error.strerror or type(error).__name__)) from None
    return folder


def _stamp() -> str:
    """A report's name part: the time to the microsecond and a random tail, so no two collide."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]


def write_rejects(path: Path, parsed: ParsedRegister) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["行号", "列", "原因", "原因代码", "值（已遮蔽）"])
        for r in parsed.rejections:
            reason = REJECT_REASONS.get(r.reason, r.reason)
            writer.writerow(safe_row([r.row_no, r.column, reason, r.reason, mask_long_digits(r.value)]))


def import_register(
    ctx: Context,
    *,
    kind: RegisterKind,
    path: Path,
    campaign: CampaignSpec,
    sheet: str | None,
    imported_by: str | None,
    replace: bool = False,
    progress: Progress | None = None,
    scope: FileScope = COUNTY,
    leftovers: list[object] | None = None,
) -> ImportSummary:
    """Read, validate and store one register file, all or nothing, for the unit it speaks for
    (`scope`: the county, a township, a school). The current version again is a no-op; an earlier
    version again becomes current. A file with no valid rows, or with far fewer than the unit's
    current version, is refused unless `replace`. A school's own list: a row naming another school
    is rejected. An enrollment register adds the schools it names to the county's list.
    `leftovers`: the parsed rows are put there for the caller to free once it has answered (a
    200,000-row register is some two million objects; bench `import` measured 2.06 → 2.03 s)."""
    digest = file_digest(path)
    with ctx.sessions() as session:
        earlier = previous_import(session, campaign=campaign.name, kind=kind, digest=digest)
        current = current_file(session, campaign=campaign.name, kind=kind, scope=scope)
    if earlier is not None and earlier.current:
        return ImportSummary(
            kind.value,
            campaign.name,
            str(path),
            True,
            rows=earlier.data_rows,
            valid=earlier.valid_rows,
            rejected_rows=earlier.rejected_rows,
            blank_rows=earlier.blank_rows,
        )
    with collector_paused():
        caps = TableCaps(rows=ctx.settings.register_max_rows, columns=ctx.settings.register_max_columns)
        parsed = read_register(path, kind, ctx.roster, sheet=sheet, caps=caps, on_progress=progress)
        ages = ages_on(parsed.id_numbers, *campaign.reference_date.timetuple()[:3])
        gone = implausible_births(parsed, ages) | other_schools(parsed, scope)
        parsed.drop(gone)
        ages = [age for i, age in enumerate(ages) if i not in gone]
        if not replace:
            refuse_shrinking(parsed, current, file_name=path.name)
        summary = _summary(kind, campaign, path, parsed)
        summary.scope, summary.scope_unit = scope.scope.value, scope.unit
        summary.replaced, summary.reinstated = int(current is not None), earlier is not None
        written = write_reports(ctx, summary, parsed)
        try:
            with ctx.sessions.begin() as session:
                stored = store_register(
                    session,
                    cipher=ctx.cipher,
                    campaign=campaign,
                    parsed=parsed,
                    file_name=path.name,
                    sheet=sheet,
                    digest=digest,
                    imported_by=imported_by,
                    ages=ages,
                    reinstating=earlier.id if earlier is not None else None,
                    scope=scope,
                )
                if kind == RegisterKind.enrollment:
                    summary.schools_added = add_named_schools(session, parsed, added_by=imported_by or "")
                if kind == RegisterKind.attendance:
                    summary.xueji_flags = returned_but_absent(session, campaign=campaign.name, file_id=stored.file_id)
        except BaseException:
            for report in written:
                report.unlink(missing_ok=True)
            raise
        if leftovers is not None:
            leftovers.append(parsed)
    return summary


def returned_but_absent(session: Session, *, campaign: str, file_id: int) -> list[dict[str, Any]]:
    """The cases of the campaign closed as returned or arranged whose child this attendance list
    shows as not in school: what the 学籍 says and what the case says disagree."""
    found = session.execute(
        select(Case.case_no, Case.township, RegisterRow.status)
        .join(Student, Student.id == Case.student_id)
        .join(RegisterRow, RegisterRow.child_key == Student.child_key)
        .where(
            RegisterRow.file_id == file_id,
            Case.campaign == campaign,
            Case.merged_into.is_(None),
            Case.stage == "closed",
            Case.outcome.in_(("returned", "arranged")),
            RegisterRow.status.in_(NOT_IN_SCHOOL),
        )
        .order_by(Case.case_no)
    ).all()
    return [{"case_no": no, "township": town, "status": status} for no, town, status in found]


NOT_IN_SCHOOL = (Attendance.left.value, Attendance.transferred.value, Attendance.suspended.value)


def implausible_births(parsed: ParsedRegister, ages: list[int]) -> dict[int, Rejection]:
    """Rows whose ID number says the child was born after the reference date, or more than
    OLDEST_IN_A_REGISTER years before it."""
    column = HEADER_LABELS[Column.id_number]
    return {
        i: Rejection(parsed.row_nos[i], column, "birth_date_range", mask_id_number(parsed.id_numbers[i]))
        for i, age in enumerate(ages)
        if not 0 <= age <= OLDEST_IN_A_REGISTER
    }


def other_schools(parsed: ParsedRegister, scope: FileScope) -> dict[int, Rejection]:
    """A school's own list: the rows whose 学校 names another school."""
    at = parsed.columns.get(Column.school)
    if scope.scope != Scope.school or at is None:
        return {}
    column = HEADER_LABELS[Column.school]
    found = {}
    for i, row in enumerate(parsed.raw_rows):
        text = school_name(cell_text(row[at]) if at < len(row) else "")
        if text and text != scope.unit:
            found[i] = Rejection(parsed.row_nos[i], column, "other_school", text[:64])
    return found


def add_named_schools(session: Session, parsed: ParsedRegister, *, added_by: str) -> int:
    """The schools an enrollment register names, each in the township most of its rows give,
    added to the county's list where it does not have them yet (a school already listed keeps its
    township and stage): the number added."""
    at = parsed.columns.get(Column.school)
    if at is None:
        return 0
    townships: dict[str, Counter[str]] = {}
    for row, township in zip(parsed.raw_rows, parsed.townships, strict=True):
        name = school_name(cell_text(row[at]) if at < len(row) else "")[:64]
        if name and township:
            townships.setdefault(name, Counter())[township] += 1
    known = set(session.scalars(select(School.name).where(School.name.in_(list(townships)))))
    entries = [
        SchoolEntry(name, counts.most_common(1)[0][0], _stage(name))
        for name, counts in sorted(townships.items())
        if name not in known
    ]
    if entries:
        save_schools(session, entries, added_by=added_by or "import")
    return len(entries)


def _stage(name: str) -> str | None:
    stage = stage_from_name(name)
    return stage.value if stage else None


def refuse_shrinking(parsed: ParsedRegister, current: RegisterFile | None, *, file_name: str) -> None:
    """No valid row at all, or far fewer than the version in use: refused (exit 2) unless replaced."""
    if parsed.valid_rows == 0:
        raise BadInput(t("register_no_valid_rows", file=file_name, rows=parsed.data_rows))
    if current is not None and parsed.valid_rows < current.valid_rows * SHRINK_GUARD:
        raise BadInput(t("register_shrinks", file=file_name, valid=parsed.valid_rows, current=current.valid_rows))


def _summary(kind: RegisterKind, campaign: CampaignSpec, path: Path, parsed: ParsedRegister) -> ImportSummary:
    return ImportSummary(
        kind.value,
        campaign.name,
        str(path),
        False,
        rows=parsed.data_rows,
        valid=parsed.valid_rows,
        rejected_rows=parsed.rejected_rows,
        blank_rows=parsed.blank_rows,
        header_row=parsed.header_row_no,
        rejected=[
            {"row": r.row_no, "column": r.column, "reason": r.reason, "value": r.value} for r in parsed.rejections
        ],
    )


def write_reports(ctx: Context, summary: ImportSummary, parsed: ParsedRegister) -> list[Path]:
    """The rejects file and the report, before anything is stored: a folder that cannot be written
    stops the import with the path named, and nothing is committed."""
    base = reports_dir(ctx) / f"import-{summary.campaign}-{summary.register}-{_stamp()}"
    written: list[Path] = []
    try:
        if parsed.rejected_rows:
            rejects = base.with_name(base.name + ".rejects.csv")
            write_rejects(rejects, parsed)
            written.append(rejects)
            summary.rejects_file = str(rejects)
        report = base.with_name(base.name + ".report.json")
        summary.report_file = str(report)
        shown = {k: v for k, v in summary.__dict__.items() if k != "rejected"}
        report.write_text(json.dumps(shown, ensure_ascii=False, indent=2), encoding="utf-8")
        written.append(report)
    except OSError as error:
        for done in written:
            done.unlink(missing_ok=True)
        where = error.filename or base.parent
        raise CliError(t("io_error", path=where, error=error.strerror or type(error).__name__)) from None
    return written


@dataclass
class DiscoveryResult:
    campaign: str
    suspects: dict[CaseKind, list[Suspect]]
    rejected_rows: int
    opened: int = 0
    already_open: int = 0
    reopened: int = 0
    failed: int = 0
    report_file: str | None = None
    review: list[Suspect] = field(default_factory=list)
    """Children not raised and not counted in school: their lists say words the rules do not know."""
    attendance_missing: list[str] = field(default_factory=list)
    """Townships (or schools) with enrolled children that no current attendance list speaks for: not judged."""

    def counts(self) -> dict[str, int]:
        return {kind.value: len(self.suspects.get(kind, [])) for kind in CaseKind}

    def reasons(self) -> dict[str, int]:
        """Suspects per comparison that raised them (every reason listed, zeros too)."""
        counted = Counter(s.reason.value for suspects in self.suspects.values() for s in suspects)
        return {reason.value: counted.get(reason.value, 0) for reason in Reason}

    def by_township(self) -> dict[str, dict[str, int]]:
        table: dict[str, Counter[str]] = {}
        for kind, suspects in self.suspects.items():
            for suspect in suspects:
                table.setdefault(suspect.township, Counter())[kind.value] += 1
        return {
            township: {k.value: counts.get(k.value, 0) for k in CaseKind} for township, counts in sorted(table.items())
        }


def discover(ctx: Context, *, campaign: CampaignSpec, township: str | None) -> DiscoveryResult:
    with collector_paused(), ctx.sessions() as session:
        rows = current_rows(session, campaign=campaign.name)
        rejected = rejected_rows_total(session, campaign=campaign.name)
    suspects = find_suspects(
        rows[RegisterKind.household],
        rows[RegisterKind.enrollment],
        rows[RegisterKind.alleviated],
        rows[RegisterKind.aid],
        rows[RegisterKind.disability],
        township=township,
        aid_rule=campaign.aid_rule,
        attendance=rows[RegisterKind.attendance],
    )
    review = find_review(rows[RegisterKind.enrollment], rows[RegisterKind.attendance], rows[RegisterKind.disability])
    if township is not None:
        review = [item for item in review if item.township == township]
    gaps = attendance_gaps(rows[RegisterKind.enrollment], rows[RegisterKind.attendance], township)
    return DiscoveryResult(campaign.name, suspects, rejected, review=review, attendance_missing=gaps)


def _person(cells: dict[str, str]) -> tuple[str, str]:
    id_number = name = ""
    for header, value in cells.items():
        column = column_for(header)
        if column == Column.id_number and not id_number:
            id_number = normalise_id_number(value)
        elif column == Column.name and not name:
            name = "".join(value.split())
    return id_number, name


def first_rows(ctx: Context, result: DiscoveryResult) -> dict[tuple[int, int], dict[str, str]]:
    """The cells of the row that first raised each suspect: where the name and ID are read from."""
    refs = [s.refs[0] for suspects in [*result.suspects.values(), result.review] for s in suspects]
    with collector_paused(), ctx.sessions() as session:
        return rows_cells(session, cipher=ctx.cipher, refs=refs)


def write_suspect_list(ctx: Context, result: DiscoveryResult) -> Path:
    """The suspects, ID numbers masked, with the register rows that raised each."""
    path = reports_dir(ctx) / f"discover-{result.campaign}-{_stamp()}.csv"
    cells = first_rows(ctx, result)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["类别", "乡镇（街道）", "身份证号（已遮蔽）", "疑似原因", "来源（登记表:行号）"])
        for kind in CaseKind:
            for suspect in sorted(result.suspects.get(kind, []), key=lambda s: (s.township, s.refs[0].row_no)):
                first = suspect.refs[0]
                id_number, _name = _person(cells[(first.file_id, first.row_no)])
                sources = "；".join(f"{ref.register}:{ref.row_no}" for ref in suspect.refs)
                reason = label("reason", suspect.reason.value)
                writer.writerow(safe_row([kind.value, suspect.township, mask_id_number(id_number), reason, sources]))
        for item in sorted(result.review, key=lambda s: (s.township, s.refs[0].row_no)):
            first = item.refs[0]
            id_number, _name = _person(cells[(first.file_id, first.row_no)])
            sources = "；".join(f"{ref.register}:{ref.row_no}" for ref in item.refs)
            reason = label("reason", item.reason.value)
            writer.writerow(safe_row(["review", item.township, mask_id_number(id_number), reason, sources]))
    return path


REGISTERS_OF_KIND: dict[CaseKind, tuple[RegisterKind, ...]] = {
    CaseKind.dropout: (RegisterKind.household, RegisterKind.enrollment, RegisterKind.attendance),
    CaseKind.disability: (RegisterKind.disability,),
    CaseKind.funding: (RegisterKind.alleviated, RegisterKind.aid),
}


async def reopen_if_found_again(ctx: Context, case_id: uuid.UUID, *, actor: Actor) -> bool:
    """A suspect whose case was closed (returned, arranged or aid delivered) is a relapse when a
    register that raises it was imported after the closure: the case opens again as its next
    episode. Registers older than the closure say nothing new; an excluded case stays closed."""

    def relapsed() -> Case | None:
        with ctx.sessions() as session:
            case = session.get_one(Case, case_id)
            if case.stage != Stage.closed.value or case.outcome in (None, Outcome.excluded.value) or not case.closed_at:
                return None
            kinds = REGISTERS_OF_KIND[CaseKind(case.kind)]
            newer = registers_imported_since(session, campaign=case.campaign, kinds=kinds, since=case.closed_at)
        return case if newer else None

    case = await asyncio.to_thread(relapsed)
    if case is None:
        return False
    client = await ctx.temporal()
    handle = client.get_workflow_handle(case.workflow_id)
    try:
        running = (await handle.describe()).status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        running = False
    if running:
        request = ReopenRequest(case_id=str(case.id), issued_at=dt.datetime.now(dt.UTC))
        await handle.signal(CaseWorkflow.reopen, request.signed_with(ctx.service_key))
    else:
        await restart_from_ledger(
            ctx, case, actor=actor, reuse=WorkflowIDReusePolicy.ALLOW_DUPLICATE, reopen_reason="discovery"
        )
    await ledger_caught_up(ctx, case)
    return True


async def apply_discovery(
    ctx: Context,
    result: DiscoveryResult,
    *,
    actor: Actor,
    concurrency: int = 8,
    progress: Progress | None = None,
) -> None:
    """Open every suspect as a case, through the same path as `case open`; resumable and idempotent:
    a suspect whose case exists counts as already open."""
    opener = await prepare_opener(ctx, result.campaign)
    cells = first_rows(ctx, result)
    everyone = [s for kind in CaseKind for s in result.suspects.get(kind, [])]
    requests = [_open_request(result.campaign, suspect, cells) for suspect in everyone]
    reserved: asyncio.Queue[tuple[OpenRequest, Reserved] | None] = asyncio.Queue(maxsize=2 * RESERVE_AHEAD)
    done = 0

    async def reserve() -> None:
        for at in range(0, len(requests), RESERVE_AHEAD):
            part = requests[at : at + RESERVE_AHEAD]
            ledger_sides = await asyncio.to_thread(reserve_many, ctx, actor, part, opener.campaign.name)
            for item in zip(part, ledger_sides, strict=True):
                await reserved.put(item)
        for _ in range(concurrency):
            await reserved.put(None)

    async def open_reserved() -> None:
        nonlocal done
        while (item := await reserved.get()) is not None:
            request, ledger_side = item
            opened = await open_case(ctx, actor, request, opener, reserved=ledger_side)
            if opened.created:
                result.opened += 1
            elif await reopen_if_found_again(ctx, uuid.UUID(opened.case_id), actor=actor):
                result.reopened += 1
            else:
                result.already_open += 1
            done += 1
            if progress:
                progress(done, len(everyone))

    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(reserve())
            for _ in range(concurrency):
                group.create_task(open_reserved())
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None


RESERVE_AHEAD = 25
"""Suspects whose cases discovery reserves in one transaction, ahead of starting their workflows
`concurrency` at a time: one commit for 25 cases instead of one each."""


def _open_request(campaign: str, suspect: Suspect, cells: dict[tuple[int, int], dict[str, str]]) -> OpenRequest:
    first = suspect.refs[0]
    id_number, name = _person(cells[(first.file_id, first.row_no)])
    return OpenRequest(
        suspect.kind,
        id_number,
        name,
        suspect.township,
        campaign,
        {"source": "discovery", "rows": [f"{r.register}:{r.file_id}:{r.row_no}" for r in suspect.refs]},
        suspect.reason.value,
        school=suspect.school,
        sources=tuple(suspect.refs),
    )
