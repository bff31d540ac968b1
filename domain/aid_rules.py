"""What the notice's rules read in a register cell: whether a 安置方式 means "arranged", which
education stage a 教育阶段 names, and whether an aid payment clears a student (docs/architecture.md,
"Registers and discovery")."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from domain.enums import EducationLevel

NO_ARRANGEMENT: tuple[str, ...] = ("无", "未安置", "待定", "暂无", "否", "/", "-", "—", "／")
"""安置方式 values that record that nothing was arranged (a blank cell too)."""

STAGE_NAMES: dict[str, EducationLevel] = {
    "学前": EducationLevel.preschool,
    "学前教育": EducationLevel.preschool,
    "幼儿园": EducationLevel.preschool,
    "义务教育": EducationLevel.compulsory,
    "小学": EducationLevel.compulsory,
    "初中": EducationLevel.compulsory,
    "高中": EducationLevel.senior_high,
    "高中教育": EducationLevel.senior_high,
    "普通高中": EducationLevel.senior_high,
    "中职": EducationLevel.vocational,
    "职业教育": EducationLevel.vocational,
    "中等职业教育": EducationLevel.vocational,
    "高职": EducationLevel.higher,
    "高等教育": EducationLevel.higher,
    "大学": EducationLevel.higher,
    **{level.value: level for level in EducationLevel},
}


def is_arranged(value: str | None, none_values: tuple[str, ...] = NO_ARRANGEMENT) -> bool:
    text = "".join((value or "").split())
    return bool(text) and text not in none_values


def education_stage(value: str | None) -> EducationLevel | None:
    return STAGE_NAMES.get("".join((value or "").split()))


def paid_date(value: str | None) -> dt.date | None:
    """发放日期 as offices write it: 2026-10-15, 2026/10/15, 2026.10.15, 20261015 or 2026年10月15日."""
    text = "".join((value or "").split())
    for old in ("/", ".", "年", "月"):
        text = text.replace(old, "-")
    text = text.removesuffix("日")
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return dt.date(year, month, day)
    except ValueError:
        return None


class AidRule(BaseModel):
    """A campaign's rule for "aid delivered": a payment clears a student only if it was paid within
    `period` and its item is one of `items` for the student's education stage. Either part may be
    left out; a campaign with neither keeps the plain rule (any aid row clears)."""

    model_config = ConfigDict(frozen=True)

    period: tuple[dt.date, dt.date] | None = None
    items: dict[EducationLevel, tuple[str, ...]] = Field(default_factory=dict)

    def clears(self, stage: EducationLevel | None, item: str | None, paid_on: dt.date | None) -> bool:
        if self.period is not None and (paid_on is None or not self.period[0] <= paid_on <= self.period[1]):
            return False
        if not self.items:
            return True
        name = "".join((item or "").split())
        if stage is None:
            return any(name in names for names in self.items.values())
        return name in self.items.get(stage, ())
