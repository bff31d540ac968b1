"""Opening and driving cases in tests through the same code the CLI uses."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from config.settings import Settings
from domain.actors import Actor
from domain.enums import CaseKind, Role
from domain.id_number import make_id_number
from domain.signing import public_key_of, sign
from domain.steps import StepInput
from domain.wire import canonical_json, step_message
from ledger.models import Case, CaseEventRow
from ledger.officers import set_public_key
from starter.case_service import OpenRequest, OpenResult, open_case
from starter.context import Context

_sequence = itertools.count(1)

OFFICER = Actor(name="梅子垭办案员", role=Role.case_officer, township="梅子垭镇")
OTHER_OFFICER = Actor(name="梅子垭办案员二", role=Role.case_officer, township="梅子垭镇")
ANZI_OFFICER = Actor(name="鞍子办案员", role=Role.case_officer, township="鞍子镇")
CHIEF = Actor(name="汪贤梁", role=Role.section_chief)
OFFICE_HEAD = Actor(name="陈明凡", role=Role.office_head)
OTHER_LEADER = Actor(name="周勇", role=Role.group_leader)
COUNTY = Actor(name="县教委督查", role=Role.county)
LEAD = Actor(name="梅子垭教管中心主任", role=Role.township_lead, township="梅子垭镇")
ANZI_LEAD = Actor(name="鞍子教管中心主任", role=Role.township_lead, township="鞍子镇")


PROOF = {"evidence_files": ({"id": 1, "sha256": "ab" * 32},)}
"""An exclusion's proof as a workflow test sends it (the API checks the file exists; the workflow
only that the step names one)."""
ELSEWHERE = {**PROOF, "school": "外县某中学", "student_no": "G500243201401010011"}
"""… and for a child enrolled elsewhere or moved out, the school and the 学籍号 there."""


ALL_TEST_ACTORS = (OFFICER, OTHER_OFFICER, ANZI_OFFICER, CHIEF, OFFICE_HEAD, OTHER_LEADER, COUNTY, LEAD, ANZI_LEAD)


def actor_key(name: str) -> Ed25519PrivateKey:
    """A deterministic signing key per test actor."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"baoxue-test:{name}".encode()).digest())


_officer_ids: dict[tuple[str, str | None], int] = {}


def register_officer(ctx: Context, actor: Actor) -> Actor:
    """An officer with their deterministic test key in the registry; the actor with their id."""
    with ctx.sessions.begin() as session:
        officer = set_public_key(
            session,
            name=actor.name,
            role=actor.role.value,
            township=actor.township,
            public_key=public_key_of(actor_key(actor.name)),
        )
        _officer_ids[(actor.name, actor.township)] = officer.id
    return with_id(actor)


def register_test_officers(ctx: Context) -> None:
    for actor in ALL_TEST_ACTORS:
        register_officer(ctx, actor)


def with_id(actor: Actor) -> Actor:
    """The actor as the server would fill it in: with the registry's id for them."""
    known = _officer_ids.get((actor.name, actor.township))
    return actor if actor.id is not None or known is None else actor.model_copy(update={"id": known})


def signed_for(
    workflow_id: str,
    update: Any,
    step: StepInput,
    *,
    seq: int,
    at: dt.datetime | None = None,
    key: Ed25519PrivateKey | None = None,
) -> StepInput:
    """The step signed by its actor's test key for the case at `seq`, as an officer's client signs it."""
    case_id = workflow_id.removeprefix("case-")
    extra: dict[str, Any] = {"actor": with_id(step.actor)}
    if isinstance(getattr(step, "to", None), Actor):
        extra["to"] = with_id(step.to)  # type: ignore[attr-defined]
    step = step.model_copy(update=extra)
    at = at or dt.datetime.now(dt.UTC)
    fields_text = canonical_json(step.fields())
    message = step_message(case_id, update.__name__, seq, at.isoformat(), fields_text)
    return step.model_copy(
        update={
            "signed_at": at,
            "signed_at_text": at.isoformat(),
            "signed_fields": fields_text,
            "expected_seq": seq,
            "signature": sign(key or actor_key(step.actor.name), message),
        }
    )


async def act(handle: Any, update: Any, step: StepInput, *, at: dt.datetime | None = None) -> Any:
    """Send a step signed now for the case as it is (`at`: the server's time, on a time-skipping server)."""
    from workflows.case import CaseWorkflow

    state = await handle.query(CaseWorkflow.current)
    return await handle.execute_update(update, signed_for(handle.id, update, step, seq=state.last_seq, at=at))


def synthetic_child() -> tuple[str, str]:
    """A fresh synthetic child: a valid ID number (region 500243, aged 12) and an invented name."""
    n = next(_sequence)
    born = dt.date(2014, 1, 1) + dt.timedelta(days=n % 300)
    return make_id_number("500243", born, n % 1000), f"测试儿童{n}"


def context_for(settings: Settings) -> Context:
    return Context(settings)


async def open_for(
    ctx: Context,
    kind: CaseKind,
    actor: Actor = OFFICER,
    township: str = "梅子垭镇",
    child: tuple[str, str] | None = None,
    campaign: str = "pengshui-2026",
) -> OpenResult:
    id_number, name = child or synthetic_child()
    request = OpenRequest(kind, id_number, name, township, campaign, {"village": "某村"})
    return await open_case(ctx, with_id(actor), request)


def ledger_row(ctx: Context, case_no: str) -> Case:
    with ctx.sessions() as session:
        return session.scalars(select(Case).where(Case.case_no == case_no)).one()


def ledger_events(ctx: Context, case_no: str) -> list[CaseEventRow]:
    case = ledger_row(ctx, case_no)
    with ctx.sessions() as session:
        return list(
            session.scalars(select(CaseEventRow).where(CaseEventRow.case_id == case.id).order_by(CaseEventRow.seq))
        )


def row_matches_state(row: Case, state: Any) -> None:
    assert row.stage == state.stage.value
    assert row.assigned_officer == state.assigned_officer
    assert row.confirmed_by == state.confirmed_by
    assert row.due_at == state.due_at
    assert row.closed_at == state.closed_at
    assert row.outcome == (state.outcome.value if state.outcome else None)
    assert row.last_seq == state.last_seq
    assert row.case_no == state.case_no and row.workflow_id == state.workflow_id
