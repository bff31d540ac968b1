"""The unsandboxed runner, with an evicted case's memory given back at once.

A workflow the worker drops from its cache leaves cycles behind: the SDK's instance is its own
event loop, its tasks and their coroutines point back at it, and eviction ends them by throwing
into them, so frames and tracebacks join the cycles too (~250 objects a case). Reference counting
cannot free a cycle; only a full collection can, and the worker runs those once a minute
(config/collector.py). Through a 10,000-case opening or storm the worker evicts ~50 cases a
second, and a minute of them held the worker's memory ~200 MB higher.

Once the SDK has torn an evicted case down (its eviction activation returned successfully, no
task left), nothing uses the instance again: the worker drops it and answers Temporal with a
completion of its own. Emptying the instance's attributes then breaks every cycle that runs
through it, and reference counting frees the case there and then. docs/architecture.md, "The
worker", gives the measurements."""

from __future__ import annotations

from typing import Any

from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.worker import UnsandboxedWorkflowRunner, WorkflowInstance, WorkflowInstanceDetails


def is_eviction(activation: WorkflowActivation) -> bool:
    return any(job.HasField("remove_from_cache") for job in activation.jobs)


def release(instance: WorkflowInstance) -> None:
    """Drop everything the torn-down instance holds. `_deleting` stays true: a finished task that
    reference counting now frees may report its exception to the instance (it is their event
    loop), which ignores it while deleting, as it would in a collection."""
    state = vars(instance)
    held = dict(state)
    state.clear()
    state["_deleting"] = True
    del held


class ReleasedOnEviction(WorkflowInstance):
    """The SDK's instance, released once its eviction has succeeded."""

    def __init__(self, inner: WorkflowInstance) -> None:
        self.inner = inner

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        completion = self.inner.activate(act)
        if is_eviction(act) and completion.HasField("successful") and not getattr(self.inner, "_tasks", None):
            release(self.inner)
        return completion

    def get_serialization_context(self, command_info: Any) -> Any:
        return self.inner.get_serialization_context(command_info)

    def get_external_store_context(self, command_info: Any) -> Any:
        return self.inner.get_external_store_context(command_info)

    def get_info(self) -> Any:
        return self.inner.get_info()

    def get_thread_id(self) -> int | None:
        return self.inner.get_thread_id()


class ReleasingRunner(UnsandboxedWorkflowRunner):
    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return ReleasedOnEviction(super().create_instance(det))
