"""A case's start is sealed by the service key; a worker that added fields to it since must still
verify the seals of starts made before (domain/signing.py, `ADDED_AFTER_SIGNING`): a running case
whose seal no longer verified would fail the next time its history is replayed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.actors import Actor, Chain
from domain.case import CaseStart, CaseState
from domain.enums import CaseKind, Role, Stage
from domain.signing import public_key_of, sign
from domain.wire import canonical_json

ADDED_THIS_YEAR = ("transfer", "whereabouts_unknown", "provisional", "exclusion_check", "exclusion_sample")
"""Fields of `CaseStart` and of the state it resumes from added after cases were sealed."""


def _without(value: Any, names: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {key: _without(item, names) for key, item in value.items() if key not in names}
    if isinstance(value, list):
        return [_without(item, names) for item in value]
    return value


def _sealed_by_older_code(start: CaseStart, key: Ed25519PrivateKey) -> CaseStart:
    """The seal a server from before these fields made: over the start as it was then, with no
    such key at all (the same bytes `seal_message` makes, but for them)."""
    from domain.case import _sorted_sets
    from domain.signing import without_unset_additions

    body = _sorted_sets(without_unset_additions(start.model_dump(mode="json", exclude={"seal", "carry"})))
    older = _without(body, ADDED_THIS_YEAR)
    message = f"baoxue-start/1|{start.case_id}|{canonical_json(older)}".encode()
    return start.model_copy(update={"seal": sign(key, message)})


def test_a_start_sealed_before_this_years_fields_still_verifies() -> None:
    key = Ed25519PrivateKey.generate()
    chain = Chain(
        township="梅子垭镇", section_chief="汪贤梁", office_head="陈明凡", group_leader="朱洪斌", roster_version="r1"
    )
    now = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    resumed = CaseState(
        case_id="00000000-0000-0000-0000-000000000001", case_no="2026-000001", workflow_id="case-1",
        campaign="pengshui-2026", kind=CaseKind.dropout, township="梅子垭镇", group=1, chain=chain,
        stage=Stage.return_plan, opened_at=now,
    )  # fmt: skip
    start = CaseStart(
        case_id=resumed.case_id, case_no=resumed.case_no, campaign=resumed.campaign, kind=CaseKind.dropout,
        township="梅子垭镇", group=1, chain=chain, opened_by=Actor(name="系统", role=Role.admin), opened_at=now,
        service_key=public_key_of(key), resume=resumed, resume_reason="terminated",
    )  # fmt: skip
    trusted = frozenset({public_key_of(key)})
    assert _sealed_by_older_code(start, key).sealed_by(trusted)
    assert start.sealed_with(key).sealed_by(trusted)
    provisional = start.model_copy(update={"provisional": True})
    assert not _sealed_by_older_code(provisional, key).sealed_by(trusted)  # a set flag is signed
