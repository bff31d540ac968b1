"""Discovery on a generated county with known answers, against the real ledger and dev server."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.county import generate_county
from domain.campaign import CampaignSpec
from domain.discovery import RegisterColumns, find_suspects
from domain.enums import CaseKind, Stage
from domain.id_number import age_on, make_id_number
from domain.registers import RegisterKind
from ledger.campaigns import upsert_campaign
from ledger.cases import CaseFilter, list_cases
from ledger.models import Case, CaseSource, RegisterBlock, RegisterFile, RegisterRow
from ledger.register_blocks import block_context
from starter.context import Context
from starter.discovery_service import DISCOVERY_ACTOR, apply_discovery, discover, import_register

REFERENCE = dt.date(2026, 9, 1)


def test_age_boundaries_on_the_reference_date() -> None:
    sixth_today = make_id_number("500243", dt.date(2020, 9, 1), 1)
    sixth_tomorrow = make_id_number("500243", dt.date(2020, 9, 2), 2)
    seventeenth_today = make_id_number("500243", dt.date(2009, 9, 1), 3)
    sixteen_still = make_id_number("500243", dt.date(2009, 9, 2), 4)
    household = RegisterColumns("household")
    for i, n in enumerate([sixth_today, sixth_tomorrow, seventeenth_today, sixteen_still], start=2):
        household.append(n, 1, i, "梅子垭镇", age_on(n, REFERENCE))
    empty = [RegisterColumns(r) for r in ("enrollment", "alleviated", "aid", "disability")]
    found = find_suspects(household, *empty)
    assert {s.key for s in found[CaseKind.dropout]} == {sixth_today, sixteen_still}


def test_rules_per_kind_and_duplicates() -> None:
    def columns(register: str, *rows: tuple) -> RegisterColumns:
        built = RegisterColumns(register)
        for n, (key, *rest) in enumerate(rows, start=2):
            built.append(key, 1, n, "鞍子镇", *rest)
        return built

    found = find_suspects(
        household=columns("household", ("a", 10), ("a", 10), ("b", 9)),
        enrollment=columns("enrollment", ("b",)),
        alleviated=columns("alleviated", ("c",), ("d",)),
        aid=columns("aid", ("d",)),
        disability=columns("disability", ("e", 10), ("f", 10), ("f", 10, True)),
    )
    assert [(s.key, len(s.refs)) for s in found[CaseKind.dropout]] == [("a", 2)]
    assert [s.key for s in found[CaseKind.funding]] == ["c"]
    assert [s.key for s in found[CaseKind.disability]] == ["e"]


@pytest.fixture
def campaign(case_ctx: Context) -> CampaignSpec:
    spec = CampaignSpec(
        name=f"county-{uuid.uuid4().hex[:8]}",
        reference_date=REFERENCE,
        clearance_deadline=dt.datetime(2027, 6, 5, tzinfo=dt.UTC),
        calendar="calendar",
    )
    with case_ctx.sessions.begin() as session:
        upsert_campaign(session, spec=spec)
    return spec


def import_all(ctx: Context, county, campaign: CampaignSpec) -> dict[RegisterKind, object]:
    return {
        kind: import_register(ctx, kind=kind, path=path, campaign=campaign, sheet=None, imported_by="t")
        for kind, path in county.files.items()
    }


async def test_generated_county_exact_answers_and_idempotent_apply(
    case_ctx: Context, campaign: CampaignSpec, tmp_path: Path
) -> None:
    county = generate_county(tmp_path / "county", case_ctx.roster, children=1500, reference_date=REFERENCE, seed=11)
    summaries = import_all(case_ctx, county, campaign)
    assert sum(s.rejected_rows for s in summaries.values()) == county.expected_rejected
    again = import_register(
        case_ctx,
        kind=RegisterKind.household,
        path=county.files[RegisterKind.household],
        campaign=campaign,
        sheet=None,
        imported_by="t",
    )
    assert again.unchanged

    result = discover(case_ctx, campaign=campaign, township=None)
    assert result.counts() == county.expected
    assert result.rejected_rows == county.expected_rejected
    assert result.by_township() == {t: c for t, c in sorted(county.expected_by_township.items())}
    township = "梅子垭镇"
    only = discover(case_ctx, campaign=campaign, township=township)
    assert only.counts() == county.expected_by_township.get(township, {"dropout": 0, "funding": 0, "disability": 0})

    # An apply interrupted half-way, then run again: only the rest is opened.
    half = discover(case_ctx, campaign=campaign, township=None)
    half.suspects = {kind: suspects[: len(suspects) // 2] for kind, suspects in half.suspects.items()}
    await apply_discovery(case_ctx, half, actor=DISCOVERY_ACTOR)
    first_half = sum(len(s) for s in half.suspects.values())
    assert half.opened == first_half

    full = discover(case_ctx, campaign=campaign, township=None)
    await apply_discovery(case_ctx, full, actor=DISCOVERY_ACTOR)
    total = sum(county.expected.values())
    assert (full.opened, full.already_open) == (total - first_half, first_half)

    twice = discover(case_ctx, campaign=campaign, township=None)
    await apply_discovery(case_ctx, twice, actor=DISCOVERY_ACTOR)
    assert (twice.opened, twice.already_open) == (0, total)

    with case_ctx.sessions() as session:
        per_kind = dict(
            session.execute(
                select(Case.kind, func.count()).where(Case.campaign == campaign.name).group_by(Case.kind)
            ).all()
        )
        sourced = session.scalar(
            select(func.count(func.distinct(CaseSource.case_id)))
            .join(Case, Case.id == CaseSource.case_id)
            .where(Case.campaign == campaign.name)
        )
    assert per_kind == {k: v for k, v in county.expected.items() if v}
    assert sourced == total


async def test_a_new_version_replaces_the_older(case_ctx: Context, campaign: CampaignSpec, tmp_path: Path) -> None:
    first = generate_county(tmp_path / "v1", case_ctx.roster, children=300, reference_date=REFERENCE, seed=1)
    second = generate_county(tmp_path / "v2", case_ctx.roster, children=200, reference_date=REFERENCE, seed=2)
    for county in (first, second):
        import_register(
            case_ctx,
            kind=RegisterKind.household,
            path=county.files[RegisterKind.household],
            campaign=campaign,
            sheet=None,
            imported_by="t",
        )
    with case_ctx.sessions() as session:
        files = session.execute(
            select(RegisterFile.id, RegisterFile.current)
            .where(RegisterFile.campaign == campaign.name)
            .order_by(RegisterFile.id)
        ).all()
        live = session.scalar(
            select(func.count())
            .select_from(RegisterRow)
            .join(RegisterFile, RegisterFile.id == RegisterRow.file_id)
            .where(RegisterFile.campaign == campaign.name)
        )
    assert [current for _id, current in files] == [False, True]
    second_valid = import_register(
        case_ctx,
        kind=RegisterKind.household,
        path=second.files[RegisterKind.household],
        campaign=campaign,
        sheet=None,
        imported_by="t",
    )
    assert second_valid.unchanged and live == second_valid.valid


def _csv(path: Path, header: list[str], *rows: list[str]) -> Path:
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def test_the_notice_rules_on_cells() -> None:
    from domain.aid_rules import AidRule, education_stage, is_arranged, paid_date
    from domain.enums import EducationLevel

    assert [is_arranged(v) for v in ("随班就读", "无", " 待定 ", "", None, "/", "暂无", "送教上门")] == [
        True, False, False, False, False, False, False, True,
    ]  # fmt: skip
    placeholders = (
        "没有",
        "未办理",
        "暂未安置",
        "待安置",
        "尚未安置",
        "(无)",
        "无。",
        "（无）",
        "—",
        "不详",
        "休学",
        "缓学",
    )
    assert [v for v in placeholders if is_arranged(v)] == []  # by rule, not a list of spellings
    assert is_arranged("休学（彭教发〔2026〕3号）") and is_arranged("特殊教育学校") and is_arranged("医教结合")
    assert is_arranged("另行安排", ("另行安排",)) is False and is_arranged("另行安排")  # a campaign adds words
    assert education_stage(" 义务 教育") == EducationLevel.compulsory and education_stage("研究生") is None
    assert paid_date("2026年10月5日") == paid_date("2026/10/05") == paid_date("20261005") == dt.date(2026, 10, 5)
    assert paid_date("十月") is None
    rule = AidRule(period=(dt.date(2026, 9, 1), dt.date(2027, 8, 31)), items={EducationLevel.compulsory: ("生活补助",)})
    assert rule.clears(EducationLevel.compulsory, "生活补助", dt.date(2026, 10, 1))
    assert not rule.clears(EducationLevel.compulsory, "国家助学金", dt.date(2026, 10, 1))
    assert not rule.clears(EducationLevel.compulsory, "生活补助", dt.date(2026, 8, 31))
    assert not rule.clears(EducationLevel.compulsory, "生活补助", None)
    assert rule.clears(None, "生活补助", dt.date(2026, 10, 1))  # stage unknown: any stage's item


def _enrolled_with_lists(*lists: tuple[str, str, bool]) -> tuple[RegisterColumns, ...]:
    """Each child enrolled (age 10, 鞍子镇) and listed on the attendance lists as given."""
    household, enrollment, attendance = (RegisterColumns(r) for r in ("household", "enrollment", "attendance"))
    for row, (key, status, arranged) in enumerate(lists, start=2):
        if key not in enrollment.keys:
            household.append(key, 1, row, "鞍子镇", 10)
            enrollment.append(key, 2, row, "鞍子镇", 10)
        attendance.append(key, 3, row, "鞍子镇", 10, arranged, status=status)
    return household, enrollment, attendance


def test_discovery_fails_closed_on_attendance_words() -> None:
    """Only a present status (or a suspension with an approved arrangement) is in school: every
    absence word is raised, a transfer out only counts where another list shows the child present,
    and a word the rules do not know goes to the review list — never to "in school"."""
    from domain.discovery import not_attending, status_review
    from domain.registers import Attendance, attendance_of

    out_words = (
        "未到校",
        "不在校",
        "离校未归",
        "流失",
        "长期请假",
        "停学",
        "未报到",
        "缺课",
        "出国",
        "死亡",
        "其他离校",
    )
    assert {w: attendance_of(w) for w in out_words} == dict.fromkeys(out_words, Attendance.left)
    assert attendance_of("在读") == Attendance.present and attendance_of("见习生") == Attendance.other
    rows = [(f"out-{w}", attendance_of(w).value, False) for w in out_words]
    rows += [
        ("moved-away", "transferred", False),
        ("moved-here", "transferred", False),
        ("moved-here", "present", False),
        ("suspended-approved", "suspended", True),
        ("suspended-bare", "suspended", False),
        ("present", "present", False),
        ("unknown", "other", False),
        ("unknown-and-left", "other", False),
        ("unknown-and-left", "left", False),
    ]
    household, enrollment, attendance = _enrolled_with_lists(*rows)
    found = not_attending(household, enrollment, attendance, set())
    raised = {s.key for s in found}
    expected = {f"out-{w}" for w in out_words} | {"moved-away", "suspended-bare", "unknown-and-left"}
    assert raised == expected
    reasons = {s.key: s.reason.value for s in found}
    assert reasons["moved-away"] == "transferred_not_received"  # 转出, and no list shows the child present
    assert {reasons[f"out-{w}"] for w in out_words} == {"enrolled_not_attending"}
    review = status_review(enrollment, attendance, set())
    assert [(s.key, s.reason.value, len(s.refs)) for s in review] == [("unknown", "status_unknown", 2)]


def test_a_township_no_attendance_list_speaks_for_is_not_judged_but_shown() -> None:
    """Enrollment for 鞍子镇 and 梅子垭镇, a current attendance list for 鞍子镇 only: no 梅子垭镇
    pupil is raised by the comparison, and 梅子垭镇 is the gap; a list naming no township is the
    county's and speaks for every township."""
    from domain.discovery import attendance_gaps, not_attending

    household, enrollment, attendance = (RegisterColumns(r) for r in ("household", "enrollment", "attendance"))
    for row, (key, township) in enumerate((("a1", "鞍子镇"), ("a2", "鞍子镇"), ("m1", "梅子垭镇")), start=2):
        household.append(key, 1, row, township, 10)
        enrollment.append(key, 2, row, township, 10)
    attendance.append("a1", 3, 2, "鞍子镇", 10, status="present")
    assert [s.key for s in not_attending(household, enrollment, attendance, set())] == ["a2"]
    assert attendance_gaps(enrollment, attendance) == ["梅子垭镇"]
    county = RegisterColumns("attendance")
    county.append("a1", 4, 2, None, 10, status="present")
    assert [s.key for s in not_attending(household, enrollment, county, set())] == ["a2", "m1"]
    assert attendance_gaps(enrollment, county) == []


def test_disability_discovery_only_for_school_ages() -> None:
    from domain.discovery import disability_suspects

    disability = RegisterColumns("disability")
    for row, age in enumerate((3, 5, 6, 16, 17, 20), start=2):
        disability.append(f"aged-{age}", 1, row, "鞍子镇", age, False)
    assert [s.key for s in disability_suspects(disability)] == ["aged-6", "aged-16"]


def test_a_disabled_child_placed_in_school_but_not_attending_is_raised() -> None:
    """随班就读 or a special school places a child in school: on no attendance list (or listed as
    left) they are raised as `arranged_not_attending`; 送教上门 needs no list; an unarranged child
    stays `not_arranged`; a child aged 20 is not raised at all."""
    from domain.aid_rules import IN_SCHOOL, placement_of

    assert [placement_of(v) for v in ("随班就读", "特殊教育学校", "送教上门", "无", "休学", "县特教学校附设班")] == [
        IN_SCHOOL, IN_SCHOOL, None, None, None, IN_SCHOOL,
    ]  # fmt: skip
    household, enrollment, disability = (RegisterColumns(r) for r in ("household", "enrollment", "disability"))
    attendance = RegisterColumns("attendance")
    placed = {"in-class": ("随班就读", "present"), "left": ("随班就读", "left"), "absent": ("特殊教育学校", None),
              "at-home": ("送教上门", None), "unarranged": ("无", None), "adult": ("随班就读", None)}  # fmt: skip
    for row, (key, (arrangement, status)) in enumerate(placed.items(), start=2):
        age = 20 if key == "adult" else 11
        arranged = arrangement != "无"
        disability.append(key, 1, row, "鞍子镇", age, arranged, status=placement_of(arrangement))
        if status:
            attendance.append(key, 2, row, "鞍子镇", age, status=status)
    empty = [RegisterColumns(r) for r in ("alleviated", "aid")]
    found = find_suspects(household, enrollment, *empty, disability, attendance=attendance)[CaseKind.disability]
    assert {(s.key, s.reason.value) for s in found} == {
        ("left", "arranged_not_attending"),
        ("absent", "arranged_not_attending"),
        ("unarranged", "not_arranged"),
    }
    from config import DEFAULT_ROSTER_FILE
    from config.roster_file import load_roster
    from ledger.registers import RuleCells
    from starter.register_files import parse_register

    table: list[list[object]] = [["姓名", "身份证号", "乡镇（街道）", "安置方式"]] + [
        [f"残疾儿童{i}", make_id_number("500243", dt.date(2014, 1, 1 + i), i), "梅子垭镇", word]
        for i, word in enumerate(("随班就读", "送教上门", "待安置"))
    ]
    parsed = parse_register(table, RegisterKind.disability, load_roster(DEFAULT_ROSTER_FILE))
    spec = CampaignSpec(
        name="c", reference_date=dt.date(2026, 9, 1), clearance_deadline=dt.datetime(2027, 6, 5, tzinfo=dt.UTC)
    )
    assert RuleCells(parsed, spec).columns()["status"] == [IN_SCHOOL, None, None]  # kept with the row


def test_a_disabled_child_is_never_a_dropout_suspect() -> None:
    household, enrollment, disability = (RegisterColumns(r) for r in ("household", "enrollment", "disability"))
    household.append("disabled", 1, 2, "鞍子镇", 10)
    household.append("healthy", 1, 3, "鞍子镇", 10)
    disability.append("disabled", 2, 2, "鞍子镇", 10, False)
    empty = [RegisterColumns(r) for r in ("alleviated", "aid")]
    found = find_suspects(household, enrollment, *empty, disability)
    assert [s.key for s in found[CaseKind.dropout]] == ["healthy"]
    assert [s.key for s in found[CaseKind.disability]] == ["disabled"]


def test_discovery_follows_the_notice_with_known_answers(case_ctx: Context, tmp_path: Path) -> None:
    """A disabled child not enrolled, 安置方式 `无` and `待定`, aid of the wrong stage, aid paid
    before the period, aid dated badly, and the right aid: counted by the campaign's rules."""
    spec = CampaignSpec(
        name=f"rules-{uuid.uuid4().hex[:8]}",
        reference_date=REFERENCE,
        clearance_deadline=dt.datetime(2027, 6, 5, tzinfo=dt.UTC),
        aid_period=(dt.date(2026, 9, 1), dt.date(2027, 8, 31)),
        aid_items={"compulsory": ("生活补助", "营养改善计划"), "senior_high": ("国家助学金",)},
    )
    with case_ctx.sessions.begin() as session:
        upsert_campaign(session, spec=spec)
    kid = [make_id_number("500243", dt.date(2014, 1, 1) + dt.timedelta(days=n), 700 + n) for n in range(9)]
    township = "鞍子镇"
    files = {
        RegisterKind.household: _csv(
            tmp_path / "h.csv", ["姓名", "身份证号", "乡镇"], *[[f"童{n}", kid[n], township] for n in range(4)]
        ),
        RegisterKind.enrollment: _csv(tmp_path / "e.csv", ["姓名", "身份证号", "学校"], ["童3", kid[3], "某校"]),
        RegisterKind.disability: _csv(
            tmp_path / "d.csv",
            ["姓名", "身份证号", "乡镇", "安置方式"],
            ["童0", kid[0], township, "随班就读"],  # not enrolled, arranged: neither suspect
            ["童1", kid[1], township, "无"],  # not enrolled, nothing arranged: a disability suspect only
            ["童4", kid[4], township, "待定"],
        ),
        RegisterKind.alleviated: _csv(
            tmp_path / "a.csv",
            ["姓名", "身份证号", "乡镇", "教育阶段"],
            *[[f"童{n}", kid[n], township, "义务教育"] for n in (5, 6, 7, 8)],
        ),
        RegisterKind.aid: _csv(
            tmp_path / "p.csv",
            ["身份证号", "资助项目", "发放日期"],
            [kid[5], "国家助学金", "2026-10-15"],  # another stage's item
            [kid[6], "生活补助", "2025-10-15"],  # before the period
            [kid[7], "生活补助", "十月"],  # no date that can be read
            [kid[8], "营养改善计划", "2026年10月15日"],  # cleared
        ),
    }
    for kind, path in files.items():
        import_register(case_ctx, kind=kind, path=path, campaign=spec, sheet=None, imported_by="t")
    found = discover(case_ctx, campaign=spec, township=None)
    keyed = {kind: sorted(s.refs[0].row_no for s in suspects) for kind, suspects in found.suspects.items()}
    assert found.counts() == {"dropout": 1, "funding": 3, "disability": 2}
    assert keyed[CaseKind.dropout] == [4]  # 童2 (row 4): not enrolled, not disabled
    assert keyed[CaseKind.disability] == [3, 4]
    assert keyed[CaseKind.funding] == [2, 3, 4]
    plain = spec.model_copy(update={"aid_period": None, "aid_items": {}})
    assert discover(case_ctx, campaign=plain, township=None).counts()["funding"] == 0  # without the rule, any row


def test_a_generated_county_under_the_2026_aid_rule(case_ctx: Context, tmp_path: Path) -> None:
    from config import DEFAULT_CAMPAIGNS_DIR
    from config.campaign_files import load_campaign_file

    shipped = load_campaign_file(DEFAULT_CAMPAIGNS_DIR / "pengshui-2026.yaml")
    spec = shipped.model_copy(update={"name": f"aid-{uuid.uuid4().hex[:8]}"})
    with case_ctx.sessions.begin() as session:
        upsert_campaign(session, spec=spec)
    county = generate_county(
        tmp_path / "county", case_ctx.roster, children=1500, reference_date=REFERENCE, seed=4, aid_rule=True
    )
    import_all(case_ctx, county, spec)
    assert discover(case_ctx, campaign=spec, township=None).counts() == county.expected
    loose = generate_county(tmp_path / "loose", case_ctx.roster, children=1500, reference_date=REFERENCE, seed=4)
    assert loose.expected["funding"] < county.expected["funding"]  # the rule finds more


async def _close_case(ctx: Context, case_no: str, *, follow_ups: int = 0) -> None:
    from config.temporal_client import connect_temporal
    from domain.enums import Finding, Placement
    from domain.steps import CloseInput, ConfirmInput, FollowUpInput, PlanInput, VisitInput
    from tests.support.cases import CHIEF, OFFICER, act, ledger_row
    from workflows.case import CaseWorkflow

    client = await connect_temporal(ctx.settings)
    handle = client.get_workflow_handle(ledger_row(ctx, case_no).workflow_id)
    target = dt.date.today() + dt.timedelta(days=30)
    await act(handle, CaseWorkflow.visit, VisitInput(actor=OFFICER, finding=Finding.confirmed))
    await act(handle, CaseWorkflow.plan, PlanInput(actor=OFFICER, target_date=target, placement=Placement.transfer))
    await act(handle, CaseWorkflow.confirm, ConfirmInput(actor=OFFICER, school="某校", evidence=("证明",)))
    await act(handle, CaseWorkflow.close, CloseInput(actor=CHIEF))
    for _ in range(follow_ups):
        await act(handle, CaseWorkflow.follow_up, FollowUpInput(actor=OFFICER, attending=True))
    if follow_ups == 4:
        await handle.result()  # the last check ends the case's workflow


async def test_a_closed_case_found_again_by_discovery_reopens(
    case_ctx: Context, campaign: CampaignSpec, tmp_path: Path
) -> None:
    """Closed cases whose child a register imported after the closure still raises: reopened as
    their next episode — a watched case by signal, one whose workflow had ended by a new run."""
    from tests.support.cases import ledger_events, ledger_row

    kids = [make_id_number("500243", dt.date(2014, 2, 1), 800 + n) for n in range(3)]
    household = [[f"童{n}", kid, "梅子垭镇"] for n, kid in enumerate(kids)]
    files = {
        RegisterKind.household: _csv(tmp_path / "h.csv", ["姓名", "身份证号", "乡镇"], *household),
        RegisterKind.enrollment: _csv(
            tmp_path / "e1.csv",
            ["姓名", "身份证号", "学校"],
            ["别人", make_id_number("500243", dt.date(2013, 1, 2), 8), "校"],
        ),
    }
    for kind, path in files.items():
        import_register(case_ctx, kind=kind, path=path, campaign=campaign, sheet=None, imported_by="t")
    first = discover(case_ctx, campaign=campaign, township=None)
    await apply_discovery(case_ctx, first, actor=DISCOVERY_ACTOR)
    assert first.opened == 3
    with case_ctx.sessions() as session:
        numbers = list(
            session.scalars(select(Case.case_no).where(Case.campaign == campaign.name).order_by(Case.case_no))
        )
    watched, ended, untouched = numbers
    await _close_case(case_ctx, watched)
    await _close_case(case_ctx, ended, follow_ups=4)

    stale = discover(case_ctx, campaign=campaign, township=None)  # registers older than the closures
    await apply_discovery(case_ctx, stale, actor=DISCOVERY_ACTOR)
    assert (stale.opened, stale.reopened, stale.already_open) == (0, 0, 3)

    newer = _csv(
        tmp_path / "e2.csv",
        ["姓名", "身份证号", "学校"],
        ["另一人", make_id_number("500243", dt.date(2013, 1, 1), 9), "校"],
    )
    import_register(case_ctx, kind=RegisterKind.enrollment, path=newer, campaign=campaign, sheet=None, imported_by="t")
    again = discover(case_ctx, campaign=campaign, township=None)
    await apply_discovery(case_ctx, again, actor=DISCOVERY_ACTOR)
    assert (again.opened, again.reopened, again.already_open) == (0, 2, 1)
    for case_no in (watched, ended):
        row = ledger_row(case_ctx, case_no)
        assert (row.stage, row.episode, row.outcome) == ("home_visit", 2, None)
        reopened = ledger_events(case_ctx, case_no)[-1]
        assert reopened.type == "reopened" and reopened.payload == {"reason": "discovery", "episode": 2}
    assert ledger_row(case_ctx, untouched).stage == "home_visit"  # never closed: simply still open


def test_register_cells_come_back_from_their_blocks(case_ctx: Context, campaign: CampaignSpec, tmp_path: Path) -> None:
    """Three blocks of rows, a date column and numbers, and a row sealed alone as rows were before
    blocks: each reads back exactly as parsing the file made it, and the file's blocks are sealed."""
    import xlsxwriter

    from domain.discovery import RowRef
    from ledger.personal import PersonalDataCipher
    from ledger.register_blocks import BLOCK_ROWS, row_context
    from ledger.registers import rows_cells
    from starter.register_files import parse_register, read_table

    path = tmp_path / "h.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("名单")
    as_date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    as_duration = workbook.add_format({"num_format": "[h]:mm"})  # read back as a timedelta, which JSON reshapes
    sheet.write_row(0, 0, ["序号", "姓名", "身份证号", "乡镇", "出生日期", "备注", "时长"])
    for i in range(BLOCK_ROWS * 2 + 3):
        born = dt.date(2012, 1, 1) + dt.timedelta(days=i)
        sheet.write_number(i + 1, 0, i + 1)
        sheet.write_string(i + 1, 1, f"童{i}")
        sheet.write_string(i + 1, 2, make_id_number("500243", born, i % 900 + 1))
        sheet.write_string(i + 1, 3, "梅子垭镇")
        sheet.write_datetime(i + 1, 4, dt.datetime.combine(born, dt.time()), as_date)
        if i % 7 == 0:
            sheet.write_string(i + 1, 5, f"  留守 {i} ")
        if i % 5 == 0:
            sheet.write_number(i + 1, 6, 1.4375, as_duration)
    workbook.close()
    parsed = parse_register(read_table(path), RegisterKind.household, case_ctx.roster)
    expected = {row_no: parsed.cells(i) for i, row_no in enumerate(parsed.row_nos)}
    assert expected[2] == {"序号": "1", "姓名": "童0", "身份证号": parsed.id_numbers[0], "乡镇": "梅子垭镇",
                           "出生日期": "2012-01-01", "备注": "留守 0", "时长": "1 day, 10:30:00"}  # fmt: skip
    import_register(case_ctx, kind=RegisterKind.household, path=path, campaign=campaign, sheet=None, imported_by="t")
    with case_ctx.sessions.begin() as session:
        file_id = session.scalars(select(RegisterFile.id).where(RegisterFile.campaign == campaign.name)).one()
        before_blocks = {"序号": "1", "姓名": "旧行"}
        session.add(
            RegisterRow(
                file_id=file_id,
                row_no=99_999,
                child_key="k",
                cells_enc=case_ctx.cipher.encrypt_json(before_blocks, context=row_context(file_id, 99_999)),
            )
        )
    with case_ctx.sessions() as session:
        refs = [RowRef("household", file_id, row_no) for row_no in [*expected, 99_999]]
        found = rows_cells(session, cipher=case_ctx.cipher, refs=refs)
        sealed = session.scalars(select(RegisterBlock.cells_enc).where(RegisterBlock.file_id == file_id)).all()
    assert found == {**{(file_id, r): cells for r, cells in expected.items()}, (file_id, 99_999): before_blocks}
    assert len(sealed) == 3 and not any(b"\xe7\xab\xa5" in blob for blob in sealed)  # no 童 in the clear
    stranger = PersonalDataCipher(b"\x07" * 32)
    with pytest.raises(Exception):  # noqa: B017 — AES-GCM refuses a wrong key with InvalidTag
        stranger.decrypt(sealed[0], context=block_context(file_id, 0))


async def test_retention_leaves_no_register_row_naming_an_anonymised_child(
    case_ctx: Context, campaign: CampaignSpec, tmp_path: Path
) -> None:
    from sqlalchemy import update

    from config.temporal_client import connect_temporal
    from domain.enums import ExcludeReason, Finding
    from domain.steps import CloseInput, VisitInput
    from ledger.retention import anonymise
    from tests.support.cases import CHIEF, ELSEWHERE, OFFICER, act, ledger_row
    from workflows.case import CaseWorkflow

    kid = make_id_number("500243", dt.date(2014, 3, 3), 931)
    neighbour = make_id_number("500243", dt.date(2014, 4, 4), 932)
    household = _csv(
        tmp_path / "h.csv", ["姓名", "身份证号", "乡镇"], ["童甲", kid, "梅子垭镇"], ["童乙", neighbour, "梅子垭镇"]
    )
    enrollment = _csv(tmp_path / "e.csv", ["姓名", "身份证号", "学校"], ["童乙", neighbour, "梅子垭小学"])
    import_register(
        case_ctx, kind=RegisterKind.enrollment, path=enrollment, campaign=campaign, sheet=None, imported_by="t"
    )
    import_register(
        case_ctx, kind=RegisterKind.household, path=household, campaign=campaign, sheet=None, imported_by="t"
    )
    found = discover(case_ctx, campaign=campaign, township=None)
    await apply_discovery(case_ctx, found, actor=DISCOVERY_ACTOR)
    with case_ctx.sessions() as session:
        case_no = session.scalars(select(Case.case_no).where(Case.campaign == campaign.name)).one()
    handle = (await connect_temporal(case_ctx.settings)).get_workflow_handle(ledger_row(case_ctx, case_no).workflow_id)
    moved = VisitInput(actor=OFFICER, finding=Finding.excluded, exclude_reason=ExcludeReason.moved_out, **ELSEWHERE)
    await act(handle, CaseWorkflow.visit, moved)
    await act(handle, CaseWorkflow.close, CloseInput(actor=CHIEF))
    case_id = ledger_row(case_ctx, case_no).id
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=4000)
    with case_ctx.sessions.begin() as session:
        session.execute(update(Case).where(Case.id == case_id).values(closed_at=long_ago))
        key = case_ctx.cipher.child_key(kid)
        assert session.scalar(select(func.count()).select_from(RegisterRow).where(RegisterRow.child_key == key)) == 1
    with case_ctx.sessions.begin() as session:
        now = dt.datetime.now(dt.UTC)
        anonymise(session, cipher=case_ctx.cipher, cutoff=now - dt.timedelta(days=3000), now=now, dry_run=False)
    with case_ctx.sessions() as session:
        rows = session.scalar(select(func.count()).select_from(RegisterRow).where(RegisterRow.child_key == key))
        sources = session.scalar(select(func.count()).select_from(CaseSource).where(CaseSource.case_id == case_id))
        blocks = [
            case_ctx.cipher.decrypt(blob, context=block_context(file_id, block_no))
            for file_id, block_no, blob in session.execute(
                select(RegisterBlock.file_id, RegisterBlock.block_no, RegisterBlock.cells_enc)
                .join(RegisterFile, RegisterFile.id == RegisterBlock.file_id)
                .where(RegisterFile.campaign == campaign.name)
            )
        ]
    assert (rows, sources) == (0, 0)
    assert len(blocks) == 2 and not any(kid in block or "童甲" in block for block in blocks)
    assert all("童乙" in block and neighbour in block for block in blocks)  # both keep the other child


async def test_four_checks_known_answers(case_ctx: Context, tmp_path: Path) -> None:
    """四查三比对: enrolled but on no attendance list and 其他离校 are suspects (enrolled_not_attending),
    休学 with an approval is not, the never-enrolled child is (never_enrolled); the orphan of a
    formerly poor household opens as a priority case flagged for return-to-poverty risk, due
    sooner, and is listed first."""
    from tests.support.four_checks import write_four_checks

    spec = CampaignSpec(
        name=f"four-{uuid.uuid4().hex[:8]}",
        reference_date=REFERENCE,
        clearance_deadline=dt.datetime(2027, 6, 5, tzinfo=dt.UTC),
        calendar="calendar",
        priority={Stage.home_visit: dt.timedelta(days=1)},
    )
    with case_ctx.sessions.begin() as session:
        upsert_campaign(session, spec=spec)
    four = write_four_checks(tmp_path / "four")
    for kind, path in four.files.items():
        summary = import_register(case_ctx, kind=kind, path=path, campaign=spec, sheet=None, imported_by="t")
        assert summary.rejected_rows == 0, (kind, summary.rejected)
    result = discover(case_ctx, campaign=spec, township=None)
    dropouts = {s.key: s.reason.value for s in result.suspects[CaseKind.dropout]}
    keys = {letter: case_ctx.cipher.child_key(number) for letter, number in four.ids.items()}
    assert dropouts == {
        keys["A"]: "enrolled_not_attending",
        keys["B"]: "enrolled_not_attending",
        keys["D"]: "never_enrolled",
    }
    assert result.reasons() == {
        "never_enrolled": 1,
        "enrolled_not_attending": 2,
        "transferred_not_received": 0,
        "aid_not_received": 1,
        "not_arranged": 0,
        "arranged_not_attending": 0,
    }
    assert all(s.township == "梅子垭镇" for s in result.suspects[CaseKind.dropout])

    await apply_discovery(case_ctx, result, actor=DISCOVERY_ACTOR)
    with case_ctx.sessions() as session:
        cases = list(session.scalars(select(Case).where(Case.campaign == spec.name)))
    by_reason = sorted((c.kind, c.reason, c.priority, c.poverty_risk) for c in cases)
    assert by_reason == [
        ("dropout", "enrolled_not_attending", "", False),
        ("dropout", "enrolled_not_attending", "", False),
        ("dropout", "never_enrolled", "orphan,alleviated", True),
        ("funding", "aid_not_received", "orphan,alleviated", False),
    ]
    ordinary = next(c for c in cases if c.kind == "dropout" and not c.priority)
    orphan = next(c for c in cases if c.kind == "dropout" and c.priority)
    assert ordinary.due_at - ordinary.opened_at > dt.timedelta(days=2)
    assert orphan.due_at - orphan.opened_at <= dt.timedelta(days=1, minutes=1)  # the priority budget
    with case_ctx.sessions() as session:
        listed = list_cases(session, where=CaseFilter(campaign=spec.name))
    assert [c.priority != "" for c in listed] == [True, True, False, False]  # priority children first


def test_the_shipped_campaigns_aid_rules_with_known_answers() -> None:
    """pengshui-2021 reads 资助到位 as its notice's year does (a 2020 国家助学金 clears no compulsory
    student, a 2019 免学费 no one); both shipped campaigns know the items' official full names."""
    from config.campaign_files import load_campaign_file
    from domain.discovery import funding_suspects
    from domain.enums import EducationLevel

    folder = Path(__file__).resolve().parents[1] / "config" / "campaigns"
    notice_year = load_campaign_file(folder / "pengshui-2021.yaml").aid_rule
    assert notice_year is not None
    alleviated, aid = RegisterColumns("alleviated"), RegisterColumns("aid")
    students = {
        "compulsory-grant-2020": ("compulsory", "国家助学金", dt.date(2020, 10, 15)),
        "senior-fee-2019": ("senior_high", "免学费", dt.date(2019, 10, 15)),
        "compulsory-meals-2020": ("compulsory", "农村义务教育学生营养改善计划", dt.date(2020, 11, 2)),
        "senior-grant-2021": ("senior_high", "普通高中国家助学金", dt.date(2021, 3, 1)),
    }
    for row, (key, (stage, item, paid)) in enumerate(students.items(), start=2):
        alleviated.append(key, 1, row, "鞍子镇", 15, stage=stage)
        aid.append(key, 2, row, "鞍子镇", 15, aid_item=item, paid_on=paid)
    unfunded = {s.key for s in funding_suspects(alleviated, aid, notice_year)}
    assert unfunded == {"compulsory-grant-2020", "senior-fee-2019"}
    current = load_campaign_file(folder / "pengshui-2026.yaml").aid_rule
    assert current is not None
    assert current.clears(EducationLevel.compulsory, "农村义务教育学生营养改善计划", dt.date(2026, 10, 15))
    assert current.clears(EducationLevel.compulsory, "《营养改善计划》", dt.date(2026, 10, 15))
    assert not current.clears(EducationLevel.compulsory, "普通高中国家助学金", dt.date(2026, 10, 15))
    assert {c.name for c in map(load_campaign_file, folder.glob("*.yaml")) if c.aid_rule is None} == {"drill"}


async def test_a_provisional_child_identified_into_a_discovery_case_and_never_raised_twice(
    case_ctx: Context, campaign: CampaignSpec, tmp_path: Path
) -> None:
    """Two children found door to door with no ID number, visited and planned. Discovery raises
    the first from the household register (a case by ID, in 鞍子镇): identified, the provisional
    case merges into that discovery case — one case, at the plan's stage, with both histories.
    The second is identified before any register names them: discovery then finds their case and
    opens no other."""
    from api.cases import history_rows
    from config.temporal_client import connect_temporal
    from domain.enums import Finding, Placement
    from domain.steps import INPUTS, PlanInput, VisitInput
    from ledger.cases import provisional_key_text
    from starter.case_service import OpenRequest, open_case
    from starter.identify_service import identify_provisional
    from tests.support.cases import OFFICER, act, ledger_row, signed_for, with_id
    from workflows.case import CaseWorkflow

    client = await connect_temporal(case_ctx.settings)
    born = dt.date(2014, 7, 8)
    ids = [make_id_number("500243", born, 870 + n) for n in range(2)]
    provisional = []
    for n in range(2):
        name, guardian = f"无证童{n}", f"无证家长{n}"
        key = provisional_key_text(name=name, born=born, guardian=guardian, village="青龙村")
        intake = {"village": "青龙村", "birth_date": born.isoformat(), "guardian": guardian}
        request = OpenRequest(CaseKind.dropout, key, name, "梅子垭镇", campaign.name, intake, provisional=True)
        opened = await open_case(case_ctx, with_id(OFFICER), request)
        handle = client.get_workflow_handle(opened.workflow_id)
        await act(handle, CaseWorkflow.visit, VisitInput(actor=OFFICER, finding=Finding.confirmed))
        target = dt.date.today() + dt.timedelta(days=30)
        await act(handle, CaseWorkflow.plan, PlanInput(actor=OFFICER, target_date=target, placement=Placement.transfer))
        provisional.append(opened)

    async def identify(case_no: str, id_number: str) -> dict[str, object]:
        case = ledger_row(case_ctx, case_no)
        state = await client.get_workflow_handle(case.workflow_id).query(CaseWorkflow.current)
        update = CaseWorkflow.identify  # type: ignore[attr-defined]
        step = signed_for(case.workflow_id, update, INPUTS["identify"](actor=OFFICER), seq=state.last_seq)
        return await identify_provisional(case_ctx, case, step, id_number)

    second = await identify(provisional[1].case_no, ids[1])
    assert (second["merged_into"], second["provisional"]) == (None, False)

    household = [["无证童0", ids[0], "鞍子镇"], ["无证童1", ids[1], "梅子垭镇"]]
    files = {
        RegisterKind.household: _csv(tmp_path / "h.csv", ["姓名", "身份证号", "乡镇"], *household),
        RegisterKind.enrollment: _csv(
            tmp_path / "e.csv", ["姓名", "身份证号", "学校"], ["别人", make_id_number("500243", born, 9), "校"]
        ),
    }
    for kind, path in files.items():
        import_register(case_ctx, kind=kind, path=path, campaign=campaign, sheet=None, imported_by="t")
    found = discover(case_ctx, campaign=campaign, township=None)
    await apply_discovery(case_ctx, found, actor=DISCOVERY_ACTOR)
    assert (found.opened, found.already_open) == (1, 1)  # the identified child's own case is found

    with case_ctx.sessions() as session:
        raised = session.scalars(
            select(Case).where(Case.campaign == campaign.name, Case.township == "鞍子镇", Case.reason.is_not(None))
        ).one()
    first = await identify(provisional[0].case_no, ids[0])
    assert (first["merged_into"], first["outcome"]) == (raised.case_no, "merged")
    kept = ledger_row(case_ctx, raised.case_no)
    assert (kept.stage, kept.township) == ("return_confirmation", "鞍子镇")
    history = history_rows(case_ctx, kept)
    assert {(e["case_no"], e["type"]) for e in history} >= {
        (provisional[0].case_no, "visited"),
        (provisional[0].case_no, "planned"),
        (raised.case_no, "opened"),
        (raised.case_no, "merged_in"),
    }
    again = discover(case_ctx, campaign=campaign, township=None)
    await apply_discovery(case_ctx, again, actor=DISCOVERY_ACTOR)
    assert (again.opened, again.already_open) == (0, 2)
    with case_ctx.sessions() as session:
        live = session.scalar(
            select(func.count()).select_from(Case).where(Case.campaign == campaign.name, Case.merged_into.is_(None))
        )
    assert live == 2
