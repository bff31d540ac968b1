"""Every workflow the worker runs, and the runner they run in."""

from temporalio.worker import WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.case import CaseWorkflow
from workflows.digest import DigestWorkflow
from workflows.eviction import ReleasingRunner
from workflows.order import OrderWorkflow
from workflows.recheck import RecheckWorkflow

ALL_WORKFLOWS: list[type] = [CaseWorkflow, RecheckWorkflow, OrderWorkflow, DigestWorkflow]


def workflow_runner(*, sandboxed: bool = True) -> WorkflowRunner:
    """Sandboxed (the tests, the replay of stored histories, `BAOXUE_WORKER_SANDBOX=1`): the
    default restrictions refuse a non-deterministic call from workflow code, with every module
    passed through rather than imported afresh for each workflow (our workflow modules hold no
    state). Unsandboxed (the worker by default): the same code without the sandbox's cost — it
    re-executes code strings for every activation and every payload encoded, a quarter of the
    worker's CPU in an escalation storm (docs/architecture.md, "The worker"); an evicted case's
    memory is given back at once (workflows/eviction.py)."""
    if not sandboxed:
        return ReleasingRunner()
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_all_modules())
