"""Every workflow the worker runs."""

from workflows.case import CaseWorkflow

ALL_WORKFLOWS: list[type] = [CaseWorkflow]
