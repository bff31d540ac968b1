"""What a reminder says: the case, the township, the stage and how late — never the child."""

from __future__ import annotations

import datetime as dt

from domain.beijing import beijing_iso, shown
from domain.labels import label

LEVEL_NAMES = {0: "办案人员", 1: "责任科室（抄送片区督导办）", 2: "责任组长"}


def how_late(seconds: int) -> str:
    """As people say it: `已逾期 2天3小时`, `已逾期 5分钟`; at the due time itself, `已到期`."""
    days, rest = divmod(max(0, seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if not (days or hours or minutes):
        return "已到期"
    parts = [
        f"{days}天" if days else "",
        f"{hours}小时" if hours and days < 3 else "",
        f"{minutes}分钟" if minutes and not days else "",
    ]
    return "已逾期 " + "".join(parts)


DIGEST_TITLE = "控辍保学每日汇总"
FAILURE_TITLE = "控辍保学通知未送达"


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
    late: bool = False,
) -> str:
    stage_name = label("stage", stage)
    if late:
        return reminder_text(
            case_no=case_no, township=township, stage=stage, level=level, reason=reason,
            overdue_seconds=overdue_seconds, deadline=deadline,
        ) + "（系统恢复后补发：此提醒应在系统停止期间发出）"  # fmt: skip
    if reason == "exclusion_check":
        return (
            f"【{reminder_title(level)}】案件 {case_no}（{township}）以排除销号，被抽中由组长核查，核查期限已到，"
            "请用 baoxue case check-exclusion 记录是否同意排除。"
        )
    if reason == "clearance_deadline":
        when = shown(beijing_iso(deadline)) if deadline else ""
        return (
            f"【{reminder_title(level)}】案件 {case_no}（{township}，{stage_name}阶段）未在清零期限 {when} 前销号，"
            "已升级至责任组长，请立即督办。"
        )
    return (
        f"【{reminder_title(level)}】案件 {case_no}（{township}，{stage_name}阶段）{how_late(overdue_seconds)}，"
        "请尽快办理。"
    )


def merge_text(*, case_no: str, township: str, merged_into: str | None, into_township: str | None,
               from_case_no: str | None, from_township: str | None) -> str:  # fmt: skip
    """The notice of a merge (合并) to each side's people: which number carries on."""
    if merged_into:
        return (
            f"【控辍保学通知】临时身份案件 {case_no}（{township}）已补录身份证号，与同一儿童的案件 {merged_into}"
            f"（{into_township}）合并：本案已销号（已合并），今后在案件 {merged_into} 中办理，两案历史均保留。"
        )
    return (
        f"【控辍保学通知】同一儿童的临时身份案件 {from_case_no}（{from_township}）已补录身份证号，合并到案件"
        f" {case_no}（{township}）：两案历史均保留，请在本案中继续办理。"
    )


def transfer_text(*, case_no: str, township: str, to: str) -> str:
    """The notice of a transfer request to the receiving township's lead."""
    return (
        f"【控辍保学通知】{township}申请将案件 {case_no} 转给{to}办理（家庭已迁居等，详见案件）。请{to}负责人"
        f"核实后用 baoxue case transfer-accept {case_no} 接收，或 transfer-decline 说明原因拒绝。"
    )


def failure_text(*, recipient: str, case_no: str | None, township: str | None, attempts: int, error: str) -> str:
    """The notice to a township lead and the administrators that someone's reminder is not arriving."""
    about = f"案件 {case_no}（{township}）的" if case_no else ""
    return (
        f"【{FAILURE_TITLE}】发给{recipient}的{about}通知已 {attempts} 次发送失败（{error}），系统仍在重试。"
        f"请核实其通知地址：本人用 baoxue notify --test 检查，或由系统管理员 baoxue notify --officer {recipient} 修改。"
    )
