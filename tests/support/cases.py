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
from domain.signing import public_key_of, sign, signing_message
from domain.steps import StepInput
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


ALL_TEST_ACTORS = (OFFICER, OTHER_OFFICER, ANZI_OFFICER, CHIEF, OFFICE_HEAD, OTHER_LEADER, COUNTY)


def actor_key(name: str) -> Ed25519PrivateKey:
    """A deterministic signing key per test actor."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"baoxue-test:{name}".encode()).digest())


def register_test_officers(ctx: Context) -> None:
    with ctx.sessions.begin() as session:
        for actor in ALL_TEST_ACTORS:
            set_public_key(
                session,
                name=actor.name,
                role=actor.role.value,
                township=actor.township,
                public_key=public_key_of(actor_key(actor.name)),
            )


def signed_for(
    workflow_id: str,
    update: Any,
    step: StepInput,
    *,
    at: dt.datetime | None = None,
    key: Ed25519PrivateKey | None = None,
) -> StepInput:
    """The step signed by its actor's test key, as the CLI signs it."""
    case_id = workflow_id.removeprefix("case-")
    at = at or dt.datetime.now(dt.UTC)
    message = signing_message(case_id, update.__name__, step, at)
    return step.model_copy(update={"signed_at": at, "signature": sign(key or actor_key(step.actor.name), message)})


async def act(handle: Any, update: Any, step: StepInput, *, at: dt.datetime | None = None) -> Any:
    """Send a step signed now (`at`: the server's time, on a time-skipping server)."""
    return await handle.execute_update(update, signed_for(handle.id, update, step, at=at))


def synthetic_child() -> tuple[str, str]:
    """A fresh synthetic child: a valid ID number (region 500243, aged 12) and an invented name."""
    n = next(_sequence)
    born = dt.date(2014, 1, 1) + dt.timedelta(days=n % 300)
    return make_id_number("500243", born, n % 1000), f"测试儿童{n}"


def context_for(settings: Settings) -> Context:
    ctx = Context()
    ctx.__dict__["settings"] = settings
    return ctx


async def open_for(
    ctx: Context,
    kind: CaseKind,
    actor: Actor = OFFICER,
    township: str = "梅子垭镇",
    child: tuple[str, str] | None = None,
    campaign: str = "pengshui-2026",
) -> OpenResult:
    id_number, name = child or synthetic_child()
    return await open_case(ctx, actor, OpenRequest(kind, id_number, name, township, campaign, {"village": "某村"}))


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
