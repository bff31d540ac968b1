"""Record the history of one complete dropout case (with a refusal, a note and a reassignment)
into tests/histories/, for the replay test. Run: python -m tests.support.record_history NAME"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
import sys
import tempfile
from pathlib import Path

from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.registry import build_activities
from config.payload_codec import encrypted_converter
from config.settings import Settings
from domain.enums import CaseKind, Finding, Placement
from domain.steps import CloseInput, ConfirmInput, NoteInput, PlanInput, ReassignInput, VisitInput
from tests.conftest import TEST_KEYRING
from tests.support.cases import CHIEF, OFFICER, OTHER_OFFICER, act, context_for, open_for, register_test_officers
from tests.support.database import fresh_database, postgres_server
from workflows.case import CaseWorkflow
from workflows.registry import ALL_WORKFLOWS, workflow_runner
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

HISTORY_DIR = Path(__file__).resolve().parent.parent / "histories"


async def record(name: str, database_url: str, data_dir: Path) -> Path:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=shutil.which("temporal"),
        data_converter=encrypted_converter(TEST_KEYRING),
        search_attributes=ALL_SEARCH_ATTRIBUTES,
    )
    async with env:
        settings = Settings(
            temporal_address=env.client.service_client.config.target_host,
            database_url=database_url,
            task_queue="record",
            secret_key="22" * 32,
            codec_keys=TEST_KEYRING.dumps(),
            data_dir=data_dir,
        )
        built = build_activities(settings)
        async with Worker(
            env.client,
            task_queue="record",
            workflows=ALL_WORKFLOWS,
            workflow_runner=workflow_runner(),
            activities=built.activities,
            activity_executor=built.executor,
        ):
            ctx = context_for(settings)
            register_test_officers(ctx)
            opened = await open_for(ctx, CaseKind.dropout)
            handle = env.client.get_workflow_handle(opened.workflow_id)
            await act(handle, CaseWorkflow.visit, VisitInput(actor=OFFICER, finding=Finding.confirmed))
            await act(handle, CaseWorkflow.reassign, ReassignInput(actor=CHIEF, to=OTHER_OFFICER))
            await act(handle, CaseWorkflow.note, NoteInput(actor=OTHER_OFFICER, text="记录"))
            target = dt.date.today() + dt.timedelta(days=30)
            await act(
                handle,
                CaseWorkflow.plan,
                PlanInput(actor=OTHER_OFFICER, target_date=target, placement=Placement.transfer),
            )
            await act(
                handle, CaseWorkflow.confirm, ConfirmInput(actor=OTHER_OFFICER, school="某校", evidence=("证明",))
            )
            # Refused (four eyes): the refusal is part of the history worth replaying.
            with contextlib.suppress(WorkflowUpdateFailedError):
                await act(handle, CaseWorkflow.close, CloseInput(actor=OTHER_OFFICER))
            await act(handle, CaseWorkflow.close, CloseInput(actor=CHIEF))
            await handle.result()
            history = await handle.fetch_history()
            ctx.close()
        built.close()
    path = HISTORY_DIR / f"{name}.json"
    path.write_text(history.to_json(), encoding="utf-8")
    return path


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "dropout-full"
    with tempfile.TemporaryDirectory() as work, postgres_server(Path(work)) as server, fresh_database(server) as url:
        print(asyncio.run(record(name, url, Path(work))))


if __name__ == "__main__":
    main()
