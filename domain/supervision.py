"""督查 and 问责 on record (docs/cli.md, "Inspections and accountability"): what a 包片 group's
inspection found, the rectification it ordered and the township's answer, and the county's
accountability decisions with the record that is their evidence. Standard library and pydantic."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.actors import Chain
from domain.enums import Role

INSPECTOR_ROLES = frozenset({Role.group_leader, Role.section_chief, Role.office_head, Role.county})
"""Who records an inspection or orders a rectification: the 包片 group's people (within their
townships) and the county."""
ACCOUNTABILITY_ROLES = frozenset({Role.county})
"""Who records an accountability decision (问责): the county."""


ORDER_STAGE = "rectification"
"""What an order's reminders say they are about in the outbox (`notifications.stage`)."""


class Ground(StrEnum):
    """The notice's four grounds for accountability."""

    careless_screening = "careless_screening"
    perfunctory = "perfunctory"
    late_discovery = "late_discovery"
    rectification_lagging = "rectification_lagging"

    """Their words (排查不认真, 工作走过场, 问题发现不及时, 整改落实不到位) are labels (domain/labels.py)."""


class InspectionInput(BaseModel):
    """One inspection (督查) of a township: when, which villages and schools were visited, the
    cases sampled (their numbers) and what was found."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    township: str = Field(min_length=1, max_length=32)
    inspected_on: dt.date
    villages: tuple[str, ...] = Field(default=(), max_length=200)
    schools: tuple[str, ...] = Field(default=(), max_length=200)
    sampled: tuple[str, ...] = Field(default=(), max_length=500)
    finding: str = Field(min_length=1, max_length=4000)


class OrderInput(BaseModel):
    """A rectification order (整改通知) to a township, to be answered by its due day."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    township: str = Field(min_length=1, max_length=32)
    due: dt.date
    text: str = Field(min_length=1, max_length=4000)
    inspection: int | None = Field(default=None, ge=1)


class AnswerInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(min_length=1, max_length=4000)


class AccountabilityInput(BaseModel):
    """An accountability decision (问责): the unit (and person), its ground, the cases, the
    reminders and orders that are its evidence, and the decision taken."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit: str = Field(min_length=1, max_length=64)
    person: str | None = Field(default=None, max_length=64)
    ground: Ground
    cases: tuple[str, ...] = Field(default=(), max_length=500)
    reminders: tuple[int, ...] = Field(default=(), max_length=500)
    """Outbox rows (reminders) that are its evidence, by id."""
    orders: tuple[int, ...] = Field(default=(), max_length=100)
    decision: str = Field(min_length=1, max_length=4000)


class OrderStart(BaseModel):
    """The input of an order's workflow: when it is due and the ladder after it."""

    model_config = ConfigDict(frozen=True)

    order_id: int
    township: str
    chain: Chain
    """The township's chain as the roster named it when the order was issued (with ids)."""
    due_at: dt.datetime
    level1_after: dt.timedelta
    level2_after: dt.timedelta


class OrderReminder(BaseModel):
    model_config = ConfigDict(frozen=True)

    order_id: int
    level: int
    chain: Chain


def order_workflow_id(order_id: int) -> str:
    return f"order-{order_id}"
