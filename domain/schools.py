"""The county's schools: who reports attendance every month (一月一报告), each in one township."""

from __future__ import annotations

import re
from enum import StrEnum


class SchoolStage(StrEnum):
    primary = "primary"
    junior = "junior"
    nine_year = "nine_year"
    special = "special"


STAGE_WORDS: dict[str, SchoolStage] = {
    **{stage.value: stage for stage in SchoolStage},
    **dict.fromkeys(("小学", "完小", "村小", "教学点"), SchoolStage.primary),
    **dict.fromkeys(("初中", "初级中学", "中学"), SchoolStage.junior),
    **dict.fromkeys(("九年一贯制", "九年一贯制学校", "九年制"), SchoolStage.nine_year),
    **dict.fromkeys(("特殊教育", "特殊教育学校", "特教", "特教学校"), SchoolStage.special),
}
_SPACES = re.compile(r"[\s\u3000]+")


def school_name(text: str) -> str:
    """A school's name as it is kept and compared: without spaces (a register's 学校 cell may have them)."""
    return _SPACES.sub("", text)


def stage_of(text: str | None) -> SchoolStage | None:
    """小学, 初中, 九年一贯制, 特殊教育学校 (or the stage's code); None for a blank or unknown word."""
    return STAGE_WORDS.get(school_name(text or ""))


def stage_from_name(name: str) -> SchoolStage | None:
    """The stage a school's name says, when it says one (…小学, …中学, …九年一贯制学校, …特殊教育学校)."""
    for suffix, stage in (
        ("特殊教育学校", SchoolStage.special),
        ("九年一贯制学校", SchoolStage.nine_year),
        ("小学", SchoolStage.primary),
        ("初级中学", SchoolStage.junior),
        ("中学", SchoolStage.junior),
    ):
        if name.endswith(suffix):
            return stage
    return None
