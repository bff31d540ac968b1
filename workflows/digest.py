"""An officer's daily digest as a durable workflow (`digest-<officer id>`): asleep until the time
they picked (Beijing), then one activity writes and sends the day's message. Choosing another
time starts it afresh; `off` ends it (starter/digest_service.py)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain.beijing import BEIJING
    from domain.digest import DigestDay, DigestStart, next_digest_at
    from workflows.recheck import DELIVERY_RETRY

DIGEST_ACTIVITY = "send_digest"
DAYS_PER_RUN = 30
"""Days a run covers before it continues as new (a short history whatever the years)."""


@workflow.defn(name="DigestWorkflow")
class DigestWorkflow:
    @workflow.run
    async def run(self, start: DigestStart) -> None:
        for _ in range(DAYS_PER_RUN):
            now = workflow.now()
            at = next_digest_at(now, start.at)
            await workflow.sleep(at - now)
            day = DigestDay(officer_id=start.officer_id, day=at.astimezone(BEIJING).date(), at=at)
            try:
                await workflow.execute_activity(
                    DIGEST_ACTIVITY,
                    day,
                    result_type=int,
                    start_to_close_timeout=timedelta(minutes=2),
                    retry_policy=DELIVERY_RETRY,
                )
            except ActivityError:
                workflow.logger.warning("digest not delivered: officer %s day %s", start.officer_id, day.day)
        workflow.continue_as_new(start)
