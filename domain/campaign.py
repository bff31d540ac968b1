"""A campaign: its reference date, its clearance deadline and how long each stage may take."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.aid_rules import NO_ARRANGEMENT, AidRule
from domain.beijing import BEIJING
from domain.enums import CaseKind, EducationLevel, Stage
from domain.ledger_columns import BOOK_SHEETS

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
    repeat_max: int = Field(default=5, ge=0, le=100)
    """Top-level reminders after the first; then the case is marked stalled and left quiet. At
    most 100, so a stage's whole ladder is at most 102 reminders."""


class Recheck(BaseModel):
    """A recurring re-check. `of: attendance` (月报, 学期复查): on each date the schools (or, with
    none listed, the townships) are asked for a fresh attendance list; one not imported `within`
    the date escalates like a late step. `of: schools` (一季度一复核): on each date the county is
    asked to recheck every school; a school not rechecked `within` it escalates the same way."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=32)
    of: Literal["attendance", "schools"] = "attendance"
    monthly: Literal["first_workday"] | None = None
    """`first_workday`: the first working day of every month of the campaign."""
    quarterly: Literal["last_month"] | None = None
    """`last_month`: the first working day of each quarter's last month (March, June, September, December)."""
    dates: tuple[dt.date, ...] = ()
    within: dt.timedelta = dt.timedelta(days=3)

    @model_validator(mode="after")
    def _some_day(self) -> Recheck:
        if self.monthly is None and self.quarterly is None and not self.dates:
            raise ValueError("a recheck needs monthly: first_workday, quarterly: last_month or dates")
        if self.within <= dt.timedelta(0):
            raise ValueError("within: must be longer than zero")
        return self


class HomeDelivery(BaseModel):
    """送教上门 all year: how many sessions a month a home-delivery arrangement owes and how many
    class hours each, and the document that says so (`source`, required: a frequency without a
    source is not a rule). A month short of its sessions escalates like a late step."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sessions_per_month: int = Field(default=2, ge=1, le=31)
    hours_per_session: float = Field(default=2, gt=0, le=12)
    source: str = Field(min_length=4, max_length=300)


DROPOUT_CAUSES = ("厌学", "外出务工", "早婚早育", "家庭困难", "身体原因", "其他")
"""The usual categories of a dropout's cause (控辍保学 台账 practice); a campaign may name its own."""


class YearArrangement(BaseModel):
    """A year's public holidays and make-up workdays (调休) as the 国务院办公厅 notice sets them,
    carried by a campaign file for a year the shipped calendar does not know yet."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    off: tuple[dt.date, ...] = Field(min_length=1)
    """Days off (the holidays and the days moved to them)."""
    work: tuple[dt.date, ...] = ()
    """Weekend days that are workdays."""
    source: str = Field(min_length=4, max_length=300)
    """The notice it comes from (its title and number)."""


class ExclusionSample(BaseModel):
    """The group's check of exclusions (组长抽查): this share of the cases closed as excluded, drawn
    by the case's id (the same case always drawn or not), waits for the group leader — or a
    county role — to agree or not within `within`; unchecked by then, the group leader is
    reminded. A disagreement opens the case again at the home visit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    percent: int = Field(ge=1, le=100)
    within: dt.timedelta = dt.timedelta(days=10)


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
    priority: dict[Stage, dt.timedelta] = Field(default_factory=dict)
    """Stage durations for a priority child's case (orphans, children without de facto carers,
    disabled, left-behind and migrant children, formerly poor households): shorter, over any kind's."""
    escalation: EscalationPolicy = Field(default_factory=EscalationPolicy)
    drill: bool = False
    """A drill may repeat reminders more often than hourly."""
    monitoring: tuple[dt.timedelta, ...] = (
        dt.timedelta(days=30),
        dt.timedelta(days=60),
        dt.timedelta(days=90),
        dt.timedelta(days=180),
    )
    """Follow-up checks after a case closes as returned or arranged (P1M reads as 30 days)."""
    follow_up_within: dt.timedelta = dt.timedelta(days=5)
    """A follow-up check is due this long after its date; then it escalates like a stage."""
    arrangement_none: tuple[str, ...] = NO_ARRANGEMENT
    """安置方式 values that mean nothing was arranged (a blank cell always does)."""
    aid_period: tuple[dt.date, dt.date] | None = None
    """Payments dated within [start, end] clear a student; unset, any date does."""
    aid_items: dict[EducationLevel, tuple[str, ...]] = Field(default_factory=dict)
    """The aid items that count per education stage; unset, any item does."""
    aid_aliases: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Other names of an item of `aid_items` (official full names, short forms): item → names."""
    absence_days: int = Field(default=3, ge=1, le=60)
    """A pupil a school reports absent this many days (or more) raises a suspected dropout case at
    once (`baoxue absence`); fewer is recorded only."""
    absence: dt.timedelta | None = None
    """How soon the home visit of such a case is due; unset, the same working day (18:00 Beijing,
    the next working day's when reported on a day off or after 16:00)."""
    rechecks: tuple[Recheck, ...] = ()
    """Monthly and termly re-checks: fresh attendance registers asked for and chased."""
    receipt: dt.timedelta = dt.timedelta(days=30)
    """How long a transfer out of the county may wait for the receiving school's 学籍 (`case
    receipt`) before it escalates."""
    transfer: dt.timedelta = dt.timedelta(days=5)
    """How long a receiving township has to accept or decline a transfer before it escalates on
    both townships' chains."""
    home_delivery: HomeDelivery | None = None
    """送教上门's frequency with its source; unset, a session is due every 15 days (two a month,
    citing nothing) and only while the follow-up checks last."""
    holidays: dict[int, YearArrangement] = Field(default_factory=dict)
    """Years of public holidays the campaign carries itself (a `calendar: workdays` campaign over a
    year the shipped calendar does not know yet); a year here overrides the shipped one."""
    dropout_causes: tuple[str, ...] = DROPOUT_CAUSES
    """The categories a dropout's home visit names its cause by (`case visit --cause`), required
    when the visit confirms the dropout; the free text (`--dropout-reason`) says more."""
    ledger_columns: dict[str, list[str]] = Field(default_factory=dict)
    """The county's own column set for each ledger (`children`, `suspected`, `dropouts`, `xueji`):
    the keys of docs/cli.md's `ledger`, in the order wanted; unset, every column."""
    exclusion_sample: ExclusionSample | None = None
    """The group checks a sample of exclusions after their closure; unset, none is checked."""

    @model_validator(mode="after")
    def _sane_durations(self) -> CampaignSpec:
        """Every duration positive, the ladder climbing, reminders at most hourly unless a drill:
        a mistaken file must not flood a county with reminders or a case with history events."""
        durations = {f"stages.{stage.value}": d for stage, d in self.stages.items()}
        for kind, stages in self.kinds.items():
            durations.update({f"kinds.{kind.value}.{stage.value}": d for stage, d in stages.items()})
        durations.update({f"priority.{stage.value}": d for stage, d in self.priority.items()})
        policy = self.escalation
        durations.update(
            {"escalation.level1_after": policy.level1_after, "escalation.repeat_every": policy.repeat_every}
        )
        for year, arrangement in self.holidays.items():
            if any(day.year != year for day in (*arrangement.off, *arrangement.work)):
                raise ValueError(f"holidays.{year}: every day must be in {year}")
        for book, keys in self.ledger_columns.items():
            unknown = [key for key in keys if key not in dict(BOOK_SHEETS.get(book, ("", ()))[1])]
            if book not in BOOK_SHEETS or unknown:
                raise ValueError(f"ledger_columns.{book}: unknown {'book' if book not in BOOK_SHEETS else unknown}")
        if self.exclusion_sample is not None:
            durations["exclusion_sample.within"] = self.exclusion_sample.within
        for field, duration in durations.items():
            if duration <= dt.timedelta(0):
                raise ValueError(f"{field}: must be longer than zero")
        if policy.level2_after <= policy.level1_after:
            raise ValueError("escalation.level2_after: must be later than escalation.level1_after")
        if policy.repeat_every < dt.timedelta(hours=1) and not self.drill:
            raise ValueError("escalation.repeat_every: at least PT1H (or drill: true)")
        if any(b <= a for a, b in zip((dt.timedelta(0), *self.monitoring), self.monitoring, strict=False)):
            raise ValueError("monitoring: offsets must be longer than zero and increasing")
        if self.follow_up_within <= dt.timedelta(0):
            raise ValueError("follow_up_within: must be longer than zero")
        if self.aid_period is not None and self.aid_period[0] > self.aid_period[1]:
            raise ValueError("aid_period: the start must not be after the end")
        return self

    @field_validator("clearance_deadline")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=BEIJING)
        return value

    @property
    def aid_rule(self) -> AidRule | None:
        if self.aid_period is None and not self.aid_items:
            return None
        aliases = {alias: item for item, names in self.aid_aliases.items() for alias in names}
        return AidRule(period=self.aid_period, items=self.aid_items, aliases=aliases)

    def stage_duration(self, kind: CaseKind, stage: Stage, priority: bool = False) -> dt.timedelta | None:
        if priority and stage in self.priority:
            return self.priority[stage]
        override = self.kinds.get(kind, {})
        if stage in override:
            return override[stage]
        return self.stages.get(stage, DEFAULT_STAGE_DURATIONS.get(stage))

    def durations_for(self, kind: CaseKind, priority: bool = False) -> dict[Stage, dt.timedelta]:
        return {
            stage: duration
            for stage in DEFAULT_STAGE_DURATIONS
            if (duration := self.stage_duration(kind, stage, priority)) is not None
        }
