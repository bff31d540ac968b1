"""What the notice's rules read in a register cell: whether a 安置方式 means "arranged", which
education stage a 教育阶段 names, and whether an aid payment clears a student (docs/architecture.md,
"Registers and discovery")."""

from __future__ import annotations

import datetime as dt
import re
from functools import cached_property

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


_PUNCTUATION = re.compile(r"[\s\u3000()（）\[\]【】<>《》\"'“”‘’。.,，、;；:：!！?？/／\\|\-—–_~～·…]+")
_NOT_YET = re.compile(
    r"^(无|否|没有|暂无|待定|不详|未知|空|缺|nil|none|na|n/a|0)$|^(未|尚未|暂未|还未|待|没有|无需?)", re.I
)
_SUSPENSION = re.compile(r"休学|缓学")
_APPROVAL = re.compile(r"\d")


def is_arranged(value: str | None, none_values: tuple[str, ...] = NO_ARRANGEMENT) -> bool:
    """Whether a 安置方式 records an arrangement. Placeholders are matched by rule, not by a list of
    their spellings: a cell that is empty once punctuation and brackets are gone (`/`, `(无)`, `—`),
    says none (`无。`, `没有`, `不详`), or says "not yet" (`未办理`, `尚未安置`, `暂未安置`, `待安置`);
    a 休学 or 缓学 without an approval number (no digit: `休学（彭教发〔2026〕3号）` has one) is none
    too, since it is arranged only 按程序. A campaign's `arrangement_none` adds its own words."""
    text = _PUNCTUATION.sub("", value or "")
    if not text or text in none_values or _NOT_YET.search(text):
        return False
    return not (_SUSPENSION.search(text) and not _APPROVAL.search(value or ""))


IN_SCHOOL = "in_school"
_IN_SCHOOL = re.compile(r"随班就读|特教|特殊教育|特殊学校|培智|盲校|聋校|启智|附设.*班|在校就读")


def placement_of(value: str | None) -> str | None:
    """`in_school` when a 安置方式 places the child in a school (随班就读, a special school or class):
    such a child must then be on a school's attendance list. None for any other arrangement."""
    text = _PUNCTUATION.sub("", value or "")
    return IN_SCHOOL if is_arranged(value) and _IN_SCHOOL.search(text) else None


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
    aliases: dict[str, str] = Field(default_factory=dict)
    """Another name of an item (an official full name, a county's short form) → the name `items`
    lists, both compared without spaces or punctuation."""

    def clears(self, stage: EducationLevel | None, item: str | None, paid_on: dt.date | None) -> bool:
        if self.period is not None and (paid_on is None or not self.period[0] <= paid_on <= self.period[1]):
            return False
        if not self.items:
            return True
        name = aid_item_key(item)
        name = self._aliases.get(name, name)
        if stage is None:
            return any(name in names for names in self._items.values())
        return name in self._items.get(stage, frozenset())

    @cached_property
    def _items(self) -> dict[EducationLevel, frozenset[str]]:
        return {level: frozenset(aid_item_key(n) for n in names) for level, names in self.items.items()}

    @cached_property
    def _aliases(self) -> dict[str, str]:
        return {aid_item_key(alias): aid_item_key(name) for alias, name in self.aliases.items()}


def aid_item_key(item: str | None) -> str:
    """An aid item's name as compared: 《营养改善计划》 and 营养 改善计划 are the same item."""
    return _PUNCTUATION.sub("", item or "")
