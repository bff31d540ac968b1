"""Every workflow the worker runs, and the sandbox they run in."""

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.case import CaseWorkflow
from workflows.recheck import RecheckWorkflow

ALL_WORKFLOWS: list[type] = [CaseWorkflow, RecheckWorkflow]


def workflow_runner() -> SandboxedWorkflowRunner:
    """The default sandbox, with `cryptography` passed through: signature checks use it, and its
    native (PyO3) module cannot be imported a second time inside the sandbox."""
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules("cryptography"))
