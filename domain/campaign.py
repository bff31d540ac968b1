"""A campaign: its reference date, its clearance deadline and how long each stage may take."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.beijing import BEIJING
from domain.enums import CaseKind, Stage

DEFAULT_STAGE_DURATIONS: dict[Stage, dt.timedelta] = {
    Stage.home_visit: dt.timedelta(days=3),
    Stage.return_plan: dt.timedelta(days=5),
    Stage.return_confirmation: dt.timedelta(days=15),
    Stage.closure: dt.timedelta(days=3),
}


class EscalationPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    level1_after: dt.timedelta = dt.timedelta(days=2)
    level2_after: dt.timedelta = dt.timedelta(days=5)
    repeat_every: dt.timedelta = dt.timedelta(days=1)


class CampaignSpec(BaseModel):
    """The shape of a campaign file (config/campaigns/*.yaml, `baoxue campaign add FILE`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[\w.\-]+$")
    description: str | None = None
    reference_date: dt.date
    clearance_deadline: dt.datetime
    calendar: Literal["workdays", "calendar"] = "workdays"
    stages: dict[Stage, dt.timedelta] = Field(default_factory=lambda: dict(DEFAULT_STAGE_DURATIONS))
    kinds: dict[CaseKind, dict[Stage, dt.timedelta]] = Field(default_factory=dict)
    escalation: EscalationPolicy = Field(default_factory=EscalationPolicy)

    @field_validator("clearance_deadline")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=BEIJING)
        return value

    def stage_duration(self, kind: CaseKind, stage: Stage) -> dt.timedelta | None:
        override = self.kinds.get(kind, {})
        if stage in override:
            return override[stage]
        return self.stages.get(stage, DEFAULT_STAGE_DURATIONS.get(stage))

    def durations_for(self, kind: CaseKind) -> dict[Stage, dt.timedelta]:
        return {
            stage: duration
            for stage in DEFAULT_STAGE_DURATIONS
            if (duration := self.stage_duration(kind, stage)) is not None
        }
