"""The step rules as pure functions; the workflow tests drive them through Temporal."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.actors import Actor, Chain
from domain.case import CaseState
from domain.enums import CaseKind, Finding, Placement, Role, Stage
from domain.errors import CaseRuleViolation, render
from domain.rules import check_close, check_permitted, check_plan, check_stage, check_visit
from domain.steps import AidItem, CloseInput, PlanInput, VisitInput

TODAY = dt.date(2026, 11, 29)
OFFICER = Actor(name="李办", role=Role.case_officer, township="梅子垭镇")
CHAIN = Chain(section_chief="汪贤梁", office_head="陈明凡", group_leader="朱洪斌", roster_version="v")


def state(stage: Stage = Stage.home_visit, kind: CaseKind = CaseKind.dropout, **extra: object) -> CaseState:
    return CaseState(
        case_id="c",
        case_no="2026-000001",
        workflow_id="case-c",
        campaign="x",
        kind=kind,
        township="梅子垭镇",
        group=1,
        chain=CHAIN,
        stage=stage,
        opened_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        **extra,
    )


def code_of(check) -> str:
    with pytest.raises(CaseRuleViolation) as raised:
        check()
    return raised.value.code


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        (OFFICER, True),
        (Actor(name="别处", role=Role.case_officer, township="鞍子镇"), False),
        (Actor(name="汪贤梁", role=Role.section_chief), True),
        (Actor(name="陈明凡", role=Role.office_head), True),
        (Actor(name="朱洪斌", role=Role.group_leader), True),
        (Actor(name="周勇", role=Role.group_leader), False),
        (Actor(name="王世斌", role=Role.section_chief), False),
        (Actor(name="县里", role=Role.county), True),
    ],
)
def test_who_may_act(actor: Actor, allowed: bool) -> None:
    if allowed:
        check_permitted(state(), actor)
    else:
        assert code_of(lambda: check_permitted(state(), actor)) == "not_permitted"


def test_wrong_stage_and_closed() -> None:
    assert code_of(lambda: check_stage(state(Stage.home_visit), "plan")) == "wrong_stage"
    assert code_of(lambda: check_stage(state(Stage.closed), "visit")) == "case_closed"


def test_visit_rules_per_kind() -> None:
    excluded = VisitInput(actor=OFFICER, finding=Finding.excluded)
    assert code_of(lambda: check_visit(CaseKind.dropout, excluded, TODAY)) == "missing_field"
    disability_on_dropout = VisitInput(actor=OFFICER, finding=Finding.confirmed, disability_category="视力")
    assert code_of(lambda: check_visit(CaseKind.dropout, disability_on_dropout, TODAY)) == "wrong_kind"
    bare = VisitInput(actor=OFFICER, finding=Finding.confirmed)
    assert code_of(lambda: check_visit(CaseKind.disability, bare, TODAY)) == "missing_field"
    assert code_of(lambda: check_visit(CaseKind.funding, bare, TODAY)) == "missing_field"
    check_visit(CaseKind.dropout, bare, TODAY)
    future = VisitInput(actor=OFFICER, finding=Finding.confirmed, visited_on=TODAY + dt.timedelta(days=1))
    assert code_of(lambda: check_visit(CaseKind.dropout, future, TODAY)) == "future_date"


def test_plan_rules() -> None:
    past = PlanInput(actor=OFFICER, target_date=TODAY - dt.timedelta(days=1), placement=Placement.transfer)
    assert code_of(lambda: check_plan(CaseKind.dropout, past, TODAY)) == "past_date"
    aid_on_dropout = PlanInput(
        actor=OFFICER, target_date=TODAY, placement=Placement.transfer, aid_items=(AidItem(item="营养餐", amount=800),)
    )
    assert code_of(lambda: check_plan(CaseKind.dropout, aid_on_dropout, TODAY)) == "wrong_kind"
    nothing = PlanInput(actor=OFFICER, target_date=TODAY)
    assert code_of(lambda: check_plan(CaseKind.funding, nothing, TODAY)) == "missing_field"
    check_plan(CaseKind.dropout, PlanInput(actor=OFFICER, target_date=TODAY, placement=Placement.vocational), TODAY)


def test_four_eyes_and_reviewer_role() -> None:
    at_closure = state(Stage.closure, confirmed_by="汪贤梁")
    assert code_of(lambda: check_close(at_closure, CloseInput(actor=OFFICER))) == "reviewer_role"
    same = CloseInput(actor=Actor(name="汪贤梁", role=Role.section_chief))
    assert code_of(lambda: check_close(at_closure, same)) == "four_eyes"
    check_close(at_closure, CloseInput(actor=Actor(name="陈明凡", role=Role.office_head)))


def test_four_eyes_compares_people_not_names() -> None:
    """Two officers of one name are two people; one officer is one person whatever they are called."""
    confirmed = state(Stage.closure, confirmed_by="同名老师", confirmed_by_id=41)
    namesake = CloseInput(actor=Actor(id=42, name="同名老师", role=Role.township_lead, township="梅子垭镇"))
    check_close(confirmed, namesake)
    himself = CloseInput(actor=Actor(id=41, name="同名老师", role=Role.township_lead, township="梅子垭镇"))
    assert code_of(lambda: check_close(confirmed, himself)) == "four_eyes"


def test_messages_in_both_languages() -> None:
    params = {"step": "plan", "stage": "home_visit", "expected": "return_plan"}
    assert "入户走访" in render("wrong_stage", params, "zh")
    assert "home visit" in render("wrong_stage", params, "en")


def test_an_exclusion_carries_its_proof_and_a_section_chief_closes_it() -> None:
    """Guards domain/rules.py's signed rules for exclusions (issue: exclusions that need proof)."""
    from domain.enums import ExcludeReason, Outcome
    from domain.rules import check_exclusion_close, check_exclusion_proof
    from domain.steps import EvidenceRef

    proof = (EvidenceRef(id=1, sha256="ab" * 32),)

    def excluded(reason: ExcludeReason, **extra: object) -> VisitInput:
        return VisitInput(actor=OFFICER, finding=Finding.excluded, exclude_reason=reason, **extra)

    assert code_of(lambda: check_exclusion_proof(excluded(ExcludeReason.deceased))) == "exclusion_evidence"
    assert code_of(lambda: check_exclusion_proof(excluded(ExcludeReason.abroad))) == "exclusion_evidence"
    check_exclusion_proof(excluded(ExcludeReason.deceased, evidence_files=proof))
    moved = excluded(ExcludeReason.moved_out, evidence_files=proof, school="外县中学")
    assert code_of(lambda: check_exclusion_proof(moved)) == "missing_field"
    check_exclusion_proof(
        excluded(ExcludeReason.enrolled_elsewhere, evidence_files=proof, school="某校", student_no="G1")
    )
    confirmed_with_school = VisitInput(actor=OFFICER, finding=Finding.confirmed, school="某校")
    assert code_of(lambda: check_exclusion_proof(confirmed_with_school)) == "unexpected_field"
    check_exclusion_proof(VisitInput(actor=OFFICER, finding=Finding.whereabouts_unknown))
    unknown_excluded = VisitInput(
        actor=OFFICER, finding=Finding.whereabouts_unknown, exclude_reason=ExcludeReason.moved_out
    )
    assert code_of(lambda: check_visit(CaseKind.dropout, unknown_excluded, TODAY)) == "unexpected_field"
    lead = Actor(name="主任", role=Role.township_lead, township="梅子垭镇")
    chief = Actor(name="汪贤梁", role=Role.section_chief)
    was_excluded = state(Stage.closure, outcome=Outcome.excluded)
    assert code_of(lambda: check_exclusion_close(was_excluded, CloseInput(actor=lead))) == "exclusion_closer"
    check_exclusion_close(was_excluded, CloseInput(actor=chief))
    check_exclusion_close(state(Stage.closure, outcome=Outcome.returned), CloseInput(actor=lead))


def test_a_sampled_exclusion_is_checked_by_its_group_leader_or_the_county() -> None:
    from domain.case import ExclusionCheck
    from domain.rules import check_exclusion_check

    waiting = state(Stage.closed, exclusion_check=ExclusionCheck(due_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)))
    check_exclusion_check(waiting, Actor(name="朱洪斌", role=Role.group_leader))
    check_exclusion_check(waiting, Actor(name="县里", role=Role.county))
    for other in (Actor(name="周勇", role=Role.group_leader), Actor(name="汪贤梁", role=Role.section_chief), OFFICER):
        assert code_of(lambda other=other: check_exclusion_check(waiting, other)) == "exclusion_check_role"
    group_leader = Actor(name="朱洪斌", role=Role.group_leader)
    assert code_of(lambda: check_exclusion_check(state(Stage.closed), group_leader)) == "no_exclusion_check"


def test_choices_are_taken_by_their_code_or_the_words_the_tables_show() -> None:
    from domain.enums import CaseKind, Role
    from domain.parsing import InputError, parse_choice

    assert parse_choice(Stage, "入户走访", "--stage") == Stage.home_visit
    assert parse_choice(CaseKind, "辍学", "--kind") == CaseKind.dropout
    assert parse_choice(CaseKind, "失学辍学", "--kind") == CaseKind.dropout
    assert parse_choice(Role, "办案人员", "--role") == Role.case_officer
    assert parse_choice(Finding, "确认", "--finding") == Finding.confirmed
    assert parse_choice(Stage, "home_visit", "--stage") == Stage.home_visit
    with pytest.raises(InputError):
        parse_choice(Stage, "走访吧", "--stage")
