"""A rectification order as a durable workflow (`order-<id>`): unanswered by its due time, the
township's lead is reminded, then its section chief and office head, then its group leader — as
a late step climbs (docs/architecture.md, "督查 and 问责"). The answer (a signal) ends it."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain.supervision import OrderReminder, OrderStart
    from workflows.recheck import DELIVERY_RETRY

REMIND_ACTIVITY = "order_remind"


@workflow.defn(name="OrderWorkflow")
class OrderWorkflow:
    def __init__(self) -> None:
        self._answered = False

    @workflow.run
    async def run(self, start: OrderStart) -> int:
        """The highest rung reached unanswered (-1: answered in time)."""
        reached = -1
        for level, when in (
            (0, start.due_at),
            (1, start.due_at + start.level1_after),
            (2, start.due_at + start.level2_after),
        ):
            wait = when - workflow.now()
            if wait > timedelta(0):
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(lambda: self._answered, timeout=wait)
            if self._answered:
                break
            reminder = OrderReminder(order_id=start.order_id, level=level, chain=start.chain)
            try:
                still_open = await workflow.execute_activity(
                    REMIND_ACTIVITY,
                    reminder,
                    result_type=bool,
                    start_to_close_timeout=timedelta(minutes=2),
                    retry_policy=DELIVERY_RETRY,
                )
            except ActivityError:
                workflow.logger.warning("order reminder not delivered: %s level %s", start.order_id, level)
                still_open = True
            if not still_open:
                break
            reached = level
        return reached

    @workflow.signal
    def answered(self) -> None:
        self._answered = True
