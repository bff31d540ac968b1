"""Bad input gets a 4xx in the project's one error shape, never a 500; dates have bounds; the
dashboard's forms and sessions keep to their own origin and their officer's current key."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from domain.actors import Actor
from domain.enums import Role
from domain.wire import HEADER_NONCE, HEADER_OFFICER, HEADER_SIGNATURE, HEADER_TIME
from tests.support.api import ADMIN, InProcessApi, open_case
from tests.support.cases import CHIEF, OFFICER, register_officer

ONE_SHAPE = {"exit", "message", "code"}


async def test_a_long_officer_number_is_not_signed_in_not_a_server_error(api: InProcessApi) -> None:
    headers = {
        HEADER_OFFICER: "9" * 40,
        HEADER_TIME: dt.datetime.now(dt.UTC).isoformat(),
        HEADER_NONCE: "a" * 32,
        HEADER_SIGNATURE: "x",
    }
    answer = await api.http.get("/api/whoami", headers=headers)
    assert answer.status_code == 401 and set(answer.json()) == ONE_SHAPE


async def test_out_of_range_numbers_and_days_are_bad_input(api: InProcessApi) -> None:
    for params in ({"limit": -1}, {"limit": 10**30}, {"group": 10**30}):
        answer = await api.call(OFFICER, "GET", "/api/cases", params=params)
        assert answer.status_code == 400 and set(answer.json()) == ONE_SHAPE, (params, answer.text)
    for day in ("0001-01-01", "9999-12-31"):
        answer = await api.call(CHIEF, "GET", "/api/report", params={"as_of": day})
        assert answer.status_code == 400 and answer.json()["exit"] == 2, (day, answer.text)


async def test_a_deeply_nested_body_is_bad_input_in_the_one_shape(api: InProcessApi) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    answer = await api.call(OFFICER, "POST", "/api/cases", raw=deep)
    assert answer.status_code == 400 and set(answer.json()) == ONE_SHAPE


async def test_a_step_dated_long_before_its_case_is_refused(api: InProcessApi) -> None:
    case_no, _ = await open_case(api)
    early = (dt.date.today() - dt.timedelta(days=400)).isoformat()
    answer = await api.step(
        OFFICER, case_no, "visit", {"finding": "confirmed", "dropout_cause": "厌学", "visited_on": early}
    )
    assert answer.status_code == 403 and answer.json()["code"] == "date_too_early"
    recent = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    answer = await api.step(
        OFFICER, case_no, "visit", {"finding": "confirmed", "dropout_cause": "厌学", "visited_on": recent}
    )
    assert answer.status_code == 200, answer.text


async def test_a_dashboard_form_posted_from_elsewhere_is_refused(api: InProcessApi) -> None:
    case_no, _ = await open_case(api)
    browser = await api.dashboard(CHIEF)
    try:
        form = {"purpose": "核对学籍信息"}
        path = f"/dashboard/case/{case_no}/reveal"
        foreign = await browser.post(path, data=form, headers={"Origin": "http://evil.example"})
        assert foreign.status_code == 403
        bare = await browser.post(path, data=form)
        assert bare.status_code == 403
        own = await browser.post(path, data=form, headers={"Origin": "http://baoxue.test"})
        assert own.status_code == 200, own.text
    finally:
        await browser.aclose()


async def test_a_new_key_ends_the_old_keys_dashboard_sessions(api: InProcessApi) -> None:
    viewer = register_officer(api.ctx, Actor(name="看板查看员", role=Role.county))
    browser = await api.dashboard(viewer)
    try:
        assert (await browser.get("/dashboard/")).status_code == 200
        register_officer(api.ctx, viewer)  # enrolled again: a new key replaces the old
        assert (await browser.get("/dashboard/")).status_code == 401
    finally:
        await browser.aclose()


async def test_a_body_over_its_limit_is_refused_before_it_is_read(api: InProcessApi) -> None:
    big = {"kind": "dropout", "id_number": "x", "name": "名" * 200_000, "township": "梅子垭镇"}
    answer = await api.call(OFFICER, "POST", "/api/cases", body=big)
    assert answer.status_code == 413 and answer.json()["exit"] == 2 and "256 KB" in answer.json()["message"]
    forged = await api.http.post("/api/cases", content=b"0" * 20_000_000, headers={HEADER_OFFICER: "1"})
    assert forged.status_code == 413
    case_no, _ = await open_case(api)
    upload = await api.call(OFFICER, "POST", f"/api/cases/{case_no}/evidence", raw=b"%PDF-1.4" + b"0" * 11_000_000)
    assert upload.status_code == 413 and "10 MB" in upload.json()["message"]


async def test_an_unknown_path_is_answered_in_the_one_shape(api: InProcessApi) -> None:
    answer = await api.call(OFFICER, "GET", "/api/no-such-thing")
    assert answer.status_code == 404 and set(answer.json()) == ONE_SHAPE and answer.json()["exit"] == 4


async def test_verify_lists_a_case_whose_workflow_cannot_run_and_checks_the_rest(api: InProcessApi) -> None:
    broken, _ = await open_case(api)
    fine, _ = await open_case(api)
    workflow_id = (await api.call(OFFICER, "GET", f"/api/cases/{broken}")).json()["workflow_id"]
    client = await api.ctx.temporal()
    await client.get_workflow_handle(workflow_id).terminate(reason="test: made to fail")
    await client.start_workflow("NotACaseWorkflow", id=workflow_id, task_queue=api.ctx.settings.task_queue)

    async def verify(repair: bool) -> dict[str, Any]:
        return await verified(api, repair, [broken, fine])

    found = await verify(False)
    assert found["cases"] == 2
    assert [(d["case_no"], d["problem"]) for d in found["differences"]] == [(broken, "workflow_task_failing")]
    repaired = await verify(True)
    assert [d["repaired"] for d in repaired["differences"]] == [True]
    assert (await verify(False))["differences"] == []
    history = (await api.call(OFFICER, "GET", f"/api/cases/{broken}/history")).json()
    assert history[-1]["type"] == "restored" and history[-1]["details"]["from"] == "task_failing"


async def verified(api: InProcessApi, repair: bool, cases: list[str]) -> dict[str, Any]:
    """`verify` of these cases, with only the cases' differences: its county-wide checks (the audit
    chain, officers' rows) are tested elsewhere, and other modules' tests alter those on purpose."""
    answer = await api.call(ADMIN, "POST", "/api/verify", body={"repair": repair, "cases": cases})
    assert answer.status_code == 200, answer.text
    found = answer.json()
    return {**found, "differences": [d for d in found["differences"] if d["case_no"]]}


def _signed_as_the_api_keeps_it(api: InProcessApi, case_id: str, expected_seq: int) -> None:
    import uuid

    from domain.enums import Finding
    from domain.signing import public_key_of, sign
    from domain.steps import VisitInput
    from domain.wire import canonical_json, step_message
    from ledger.step_signatures import record_signed_step
    from tests.support.cases import actor_key, with_id

    fields = canonical_json({"finding": "confirmed"})
    at = dt.datetime.now(dt.UTC).isoformat()
    key = actor_key(OFFICER.name)
    visit = VisitInput(
        actor=with_id(OFFICER),
        finding=Finding.confirmed,
        signed_fields=fields,
        signed_at_text=at,
        expected_seq=expected_seq,
        signature=sign(key, step_message(case_id, "visit", expected_seq, at, fields)),
    )
    with api.ctx.sessions.begin() as session:
        record_signed_step(
            session, cipher=api.ctx.cipher, case_id=uuid.UUID(case_id), step=visit, public_key=public_key_of(key)
        )


async def _ghost_step(api: InProcessApi) -> tuple[str, Any, Any]:
    """A case whose ledger holds a visit the case never committed (a workflow task that failed
    after projecting it): (case number, the case's state, the ghost event)."""
    from domain.case import CaseEvent, Projection
    from domain.enums import Stage
    from ledger.projection import write_projection
    from workflows.case import CaseWorkflow

    case_no, _ = await open_case(api)
    workflow_id = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}")).json()["workflow_id"]
    client = await api.ctx.temporal()
    state = await client.get_workflow_handle(workflow_id).query(CaseWorkflow.current)
    ghost = CaseEvent(
        seq=state.last_seq + 1,
        type="visited",
        stage=Stage.home_visit,
        actor=OFFICER.name,
        at=dt.datetime.now(dt.UTC),
        details={"finding": "confirmed"},
    )
    ahead = state.model_copy(update={"stage": Stage.return_plan, "last_seq": ghost.seq})
    key = f"{state.case_id}:visited:{ghost.seq}"
    write_projection(api.ctx.sessions, Projection(business_key=key, event=ghost, state=ahead), api.ctx.cipher)
    _signed_as_the_api_keeps_it(api, state.case_id, state.last_seq)  # the officer did sign the visit
    assert (await api.call(OFFICER, "GET", f"/api/cases/{case_no}")).json()["stage"] == "return_plan"
    return case_no, state, ghost


def _counted_in_report(api: InProcessApi, case_id: str, last_seq: int) -> list[int]:
    import uuid

    from ledger.reports import report_events

    with api.ctx.sessions() as session:
        return [e.seq for e in report_events(session, {uuid.UUID(case_id): last_seq})[uuid.UUID(case_id)]]


async def test_a_step_the_case_never_committed_is_withdrawn_by_repair(api: InProcessApi) -> None:
    """The ledger is written while a step is taken, before Temporal commits it: a step whose
    workflow task then failed stands in the ledger though the case never took it. `verify` lists
    it; repair carries on from what the case had committed, says which events it withdraws, and
    the next step is numbered after them."""
    case_no, state, ghost = await _ghost_step(api)

    found = await verified(api, False, [case_no])
    assert [(d["case_no"], d["problem"]) for d in found["differences"]] == [(case_no, "ledger_ahead")]
    assert [d["repaired"] for d in (await verified(api, True, [case_no]))["differences"]] == [True]
    assert (await verified(api, False, [case_no]))["differences"] == []
    history = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}/history")).json()
    assert history[-1]["type"] == "restored" and history[-1]["details"]["withdrawn"] == [ghost.seq]
    assert (await api.call(OFFICER, "GET", f"/api/cases/{case_no}")).json()["stage"] == "home_visit"
    visited = await api.step(OFFICER, case_no, "visit", {"finding": "confirmed", "dropout_cause": "厌学"})
    assert visited.status_code == 200 and visited.json()["stage"] == "return_plan", visited.text
    assert visited.json()["last_seq"] == ghost.seq + 2
    counted = _counted_in_report(api, state.case_id, ghost.seq + 2)
    assert ghost.seq not in counted and ghost.seq + 2 in counted  # the report folds what the case took


async def test_the_officer_who_next_acts_on_it_has_the_uncommitted_step_withdrawn(api: InProcessApi) -> None:
    """The officer's client signs against the ledger's number, which the case has not reached:
    instead of being refused as stale for ever (until someone runs `verify --repair`), the case
    withdraws what it never committed, the officer is told so as a stale step (the CLI signs
    again once), and the step signed again is taken, numbered after the withdrawal."""
    case_no, state, ghost = await _ghost_step(api)
    visit = {"finding": "confirmed", "dropout_cause": "厌学"}
    refused = await api.step(OFFICER, case_no, "visit", visit)
    assert refused.status_code == 403 and refused.json()["code"] == "stale_step", refused.text
    assert f"第 {ghost.seq} 步" in refused.json()["message"] and "已撤回" in refused.json()["message"]
    history = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}/history")).json()
    assert (history[-1]["type"], history[-1]["details"]) == (
        "restored",
        {"from": "ledger_ahead", "withdrawn": [ghost.seq]},
    )
    visited = await api.step(OFFICER, case_no, "visit", visit)
    assert visited.status_code == 200 and visited.json()["stage"] == "return_plan", visited.text
    assert visited.json()["last_seq"] == ghost.seq + 2
    assert (await verified(api, False, [case_no]))["differences"] == []
    counted = _counted_in_report(api, state.case_id, ghost.seq + 2)
    assert ghost.seq not in counted and ghost.seq + 2 in counted


async def test_an_event_the_ledger_numbers_otherwise_is_numbered_after_it_never_dropped(api: InProcessApi) -> None:
    """The case's own next event lands on the number the ledger gave an uncommitted step: the
    projection refuses to take the ghost for it (it used to write nothing and move on, leaving the
    ghost in the child's story and the real event out of it); the case withdraws the ghost and
    writes its event after, in the same answer."""
    case_no, state, ghost = await _ghost_step(api)
    visit = {"finding": "confirmed", "dropout_cause": "厌学"}
    visited = await api.step(OFFICER, case_no, "visit", visit, expected_seq=state.last_seq)
    assert visited.status_code == 200 and visited.json()["last_seq"] == ghost.seq + 2, visited.text
    history = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}/history")).json()
    told = [(e["seq"], e["type"], e["details"].get("withdrawn")) for e in history[-3:]]
    assert told == [
        (ghost.seq, "visited", None),
        (ghost.seq + 1, "restored", [ghost.seq]),
        (ghost.seq + 2, "visited", None),
    ]
    assert history[-1]["details"]["dropout_cause"] == "厌学"
    assert (await verified(api, False, [case_no]))["differences"] == []
    counted = _counted_in_report(api, state.case_id, ghost.seq + 2)
    assert ghost.seq not in counted and ghost.seq + 2 in counted


def test_a_worker_pointed_at_no_database_or_a_wrong_namespace_exits_2_naming_it(
    case_settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from pydantic import SecretStr

    from worker import start_worker

    nowhere = case_settings.model_copy(update={"database_url": SecretStr("postgresql://baoxue@127.0.0.1:1/none")})
    assert start_worker(nowhere) == 2
    assert "BAOXUE_DATABASE_URL" in capsys.readouterr().err
    elsewhere = case_settings.model_copy(update={"temporal_namespace": "no-such-namespace"})
    assert start_worker(elsewhere) == 2
    assert "BAOXUE_TEMPORAL_NAMESPACE" in capsys.readouterr().err


async def test_a_start_not_sealed_by_the_service_key_fails_before_it_records_anything(api: InProcessApi) -> None:
    """Someone holding the codec keyring but not the service key terminates a case and starts a
    run claiming it closed, sealed with a key of their own: the run fails at once, the ledger
    never shows it closed, `verify` lists the case and `--repair` restores it."""
    import base64
    import secrets as token

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from temporalio.client import WorkflowFailureError

    from domain.actors import Actor
    from domain.case import CaseStart
    from domain.enums import CaseKind, Outcome, Stage
    from domain.signing import public_key_of
    from workflows.case import UNSIGNED_START_ERROR, CaseWorkflow

    case_no, _ = await open_case(api)
    shown = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}")).json()
    client = await api.ctx.temporal()
    handle = client.get_workflow_handle(shown["workflow_id"])
    state = await handle.query(CaseWorkflow.current)
    attacker = Ed25519PrivateKey.from_private_bytes(base64.b64decode(base64.b64encode(token.token_bytes(32))))
    forged = CaseStart(
        case_id=state.case_id,
        case_no=case_no,
        campaign=state.campaign,
        kind=CaseKind.dropout,
        township=state.township,
        group=state.group,
        chain=state.chain,
        opened_by=Actor(name="汪贤梁", role=Role.section_chief),
        opened_at=state.opened_at,
        service_key=public_key_of(attacker),
        resume=state.model_copy(update={"stage": Stage.closed, "outcome": Outcome.returned}),
        resume_reason="forged",
    ).sealed_with(attacker)
    await handle.terminate(reason="test: forged")
    forged_run = await client.start_workflow(
        CaseWorkflow.run, forged, id=shown["workflow_id"], task_queue=api.ctx.settings.task_queue
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await forged_run.result()
    assert getattr(failed.value.cause, "type", None) == UNSIGNED_START_ERROR
    after = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}")).json()
    assert (after["stage"], after["outcome"]) == (shown["stage"], None)
    found = await verified(api, False, [case_no])
    assert [(d["problem"], d["detail"]) for d in found["differences"]] == [("workflow_ended", "failed")]
    assert [d["repaired"] for d in (await verified(api, True, [case_no]))["differences"]] == [True]
    history = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}/history")).json()
    assert history[-1]["type"] == "restored" and history[-1]["details"]["from"] == "failed"
    assert (await api.call(OFFICER, "GET", f"/api/cases/{case_no}")).json()["stage"] == shown["stage"]
