"""Stored case histories must replay on the current workflow code: a change that would break
running cases fails here (guard such a change with workflow.patched)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from config.payload_codec import encrypted_converter
from tests.conftest import TEST_KEYRING
from workflows.registry import ALL_WORKFLOWS, workflow_runner

SEALED = '"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="'  # binary/encrypted, base64 as history JSON holds it
HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_are_stored() -> None:
    assert HISTORIES, "record one with: python -m tests.support.record_history"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_stored_history_replays(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    history = WorkflowHistory.from_json(path.stem, text)
    sealed = SEALED in text  # the first histories were recorded before payloads were encrypted
    replayer = Replayer(
        workflows=ALL_WORKFLOWS,
        workflow_runner=workflow_runner(),
        data_converter=encrypted_converter(TEST_KEYRING, strict=sealed),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure
