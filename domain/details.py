"""What a step recorded, as people read it: field names and values in the reader's language,
times in Beijing time."""

from __future__ import annotations

from typing import Any

from domain.beijing import shown
from domain.i18n import N_, translate
from domain.labels import label
from domain.reminders import how_late
from domain.step_specs import STEPS

FIELD_LABELS: dict[str, str] = {
    "village": N_("村（社区）"),
    "school": N_("学校"),
    "reason": N_("原因"),
    "from_county": N_("转入自（县）"),
    "reference": N_("转入凭据"),
    "finding": N_("结论"),
    "exclude_reason": N_("排除原因"),
    "note": N_("备注"),
    "visited_on": N_("走访日期"),
    "dropout_reason": N_("辍学原因"),
    "dropout_cause": N_("辍学原因类别"),
    "disability_category": N_("残疾类别"),
    "can_attend": N_("能否到校"),
    "household_verified": N_("家庭已核实"),
    "education_level": N_("教育阶段"),
    "aid_due": N_("应享受资助"),
    "target_date": N_("目标日期"),
    "placement": N_("安置去向"),
    "arrangement": N_("安置方式"),
    "aid_items": N_("资助项目"),
    "channel": N_("发放渠道"),
    "procedure": N_("办理程序"),
    "measures": N_("帮扶措施"),
    "responsible": N_("责任人"),
    "evidence": N_("佐证资料"),
    "on": N_("日期"),
    "delivered_to": N_("发放至"),
    "by": N_("办理人"),
    "method": N_("劝返方式"),
    "persuader_name": N_("劝返人"),
    "persuader_role": N_("劝返人身份"),
    "result": N_("劝返结果"),
    "at": N_("时间"),
    "text": N_("内容"),
    "from": N_("原"),
    "to": N_("改为"),
    "level": N_("级别"),
    "recipients": N_("接收人"),
    "assigned_officer": N_("办案人员"),
    "overdue_seconds": N_("逾期"),
    "due_at": N_("期限"),
    "deadline": N_("清零期限"),
    "roster_version": N_("花名册版本"),
    "source": N_("来源"),
    "rows": N_("登记表行"),
    "attending": N_("在校"),
    "check": N_("第几次回访"),
    "episode": N_("第几次立案"),
    "until": N_("截止日期"),
    "approval": N_("批准文号"),
    "sessions_per_month": N_("每月送教次数"),
    "evidence_files": N_("佐证文件"),
    "step": N_("事项"),
    "from_township": N_("转出乡镇"),
    "to_township": N_("接收乡镇"),
    "officer": N_("指派办案人员"),
    "school_no": N_("学籍号"),
    "student_no": N_("学籍号"),
    "to_county": N_("转往（县）"),
    "provisional": N_("临时身份"),
    "late": N_("系统恢复后补发"),
    "merged_into": N_("并入案件"),
    "into_township": N_("并入乡镇"),
    "from_case_no": N_("合并自案件"),
    "adopted_stage": N_("接续阶段"),
    "guardian": N_("监护人"),
    "birth_date": N_("出生日期"),
}
for _field in (field for spec in STEPS.values() for field in spec.fields):
    FIELD_LABELS.setdefault(_field.name, _field.label)
VALUE_CATEGORIES = {
    "finding": "finding",
    "exclude_reason": "exclude_reason",
    "placement": "placement",
    "arrangement": "arrangement",
    "education_level": "education_level",
    "channel": "channel",
    "delivered_to": "channel",
    "reason": "escalation_reason",
    "step": "step",
    "method": "method",
    "adopted_stage": "stage",
}
FALLBACK_CATEGORIES = {"reason": "reopen_reason"}
TIME_FIELDS = {"at", "due_at", "deadline"}
OFFICER_ID_FIELDS = frozenset(
    {"assigned_officer_id", "from_id", "to_id", "recipient_ids", "officer_id", "from_group", "to_group"}
)
"""Who the named officers are (and a township's group number), for delivery, checks and reports:
the names beside them are what people read."""


def shown_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return translate(N_("是")) if value else translate(N_("否"))
    if key in TIME_FIELDS and isinstance(value, str):
        return shown(value)
    if key == "overdue_seconds" and isinstance(value, int):
        return how_late(value).removeprefix("已逾期 ")
    if key in VALUE_CATEGORIES and isinstance(value, str):
        shown_label = label(VALUE_CATEGORIES[key], value)
        if shown_label == value and key in FALLBACK_CATEGORIES:
            return label(FALLBACK_CATEGORIES[key], value)
        return shown_label
    if isinstance(value, list):
        return "、".join(shown_value(key, item) for item in value)
    if isinstance(value, dict):
        if {"item", "amount"} <= set(value):
            return f"{value['item']} {value['amount']}"
        if {"name", "role"} <= set(value):
            return f"{value['name']}（{label('role', value['role'])}）"
        if {"id", "sha256"} <= set(value):
            return f"#{value['id']} {value['sha256'][:12]}"
        return "；".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def shown_details(details: dict[str, Any] | None, *, skip: frozenset[str] = frozenset()) -> str:
    """`结论=确认；备注=入户走访`, leaving out what is empty."""
    if not details:
        return ""
    parts = []
    for key, value in details.items():
        if key in skip or key in OFFICER_ID_FIELDS or value in (None, [], "", {}):
            continue
        parts.append(f"{translate(FIELD_LABELS[key]) if key in FIELD_LABELS else key}：{shown_value(key, value)}")
    return "；".join(parts)
