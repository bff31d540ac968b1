"""A trivial workflow for checking that the pip-installed servers run workflows at all."""

from datetime import timedelta

from temporalio import workflow


@workflow.defn
class HelloWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return f"你好，{name}"


@workflow.defn
class SleepyWorkflow:
    """Sleeps three days: finishes at once only on a time-skipping server."""

    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(timedelta(days=3))
        return "woke"
