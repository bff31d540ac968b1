"""Every workflow the worker runs, and the sandbox they run in."""

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.case import CaseWorkflow
from workflows.recheck import RecheckWorkflow

ALL_WORKFLOWS: list[type] = [CaseWorkflow, RecheckWorkflow]


def workflow_runner() -> SandboxedWorkflowRunner:
    """The default sandbox's restrictions on what workflow code may call, with every module passed
    through rather than imported afresh for each workflow: the workflow modules hold no state of
    their own, and re-importing them cost each case ~0.3 MB of the worker's memory and each new or
    evicted case a module import (docs/architecture.md, "The worker"). It also means a worker runs
    the code it loaded at start, never a file edited under it."""
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_all_modules())
