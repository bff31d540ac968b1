"""What a reminder says: the case, the township, the stage and how late — never the child."""

from __future__ import annotations

import datetime as dt

from domain.errors import STAGE_NAMES

LEVEL_NAMES = {0: "办案人员", 1: "责任科室（抄送片区督导办）", 2: "责任组长"}


def how_late(seconds: int) -> str:
    days, rest = divmod(max(0, seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "", f"{minutes}分钟" if minutes else ""]
    text = "".join(parts)
    return text or f"{secs}秒"


def reminder_title(level: int) -> str:
    return f"控辍保学催办（{LEVEL_NAMES.get(level, str(level))}）"


def reminder_text(
    *,
    case_no: str,
    township: str,
    stage: str,
    level: int,
    reason: str,
    overdue_seconds: int,
    deadline: dt.datetime | None = None,
) -> str:
    stage_name = STAGE_NAMES.get(stage, (stage, stage))[0]
    if reason == "clearance_deadline":
        when = deadline.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M") if deadline else ""
        return (
            f"【{reminder_title(level)}】案件 {case_no}（{township}，{stage_name}阶段）未在清零期限 {when} 前销号，"
            "已升级至责任组长，请立即督办。"
        )
    return (
        f"【{reminder_title(level)}】案件 {case_no}（{township}，{stage_name}阶段）已逾期 {how_late(overdue_seconds)}，"
        "请尽快办理。"
    )
