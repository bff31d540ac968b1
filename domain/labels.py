"""How the fixed vocabulary reads to people: every kind, stage, role, outcome and reason value in
Chinese (English in the catalogue). JSON keeps the values; tables, messages and reminders show
these. Standard library only."""

from __future__ import annotations

from collections.abc import Iterable

from domain.i18n import N_, Lang, current_lang, translate
from domain.step_specs import STEPS

STEP_LABELS: dict[str, str] = {"open": N_("立案"), **{spec.name: spec.label for spec in STEPS.values()}}
"""Each step's name for people is declared with the step (domain/step_specs.py)."""

LABELS: dict[str, dict[str, str]] = {
    "step": STEP_LABELS,
    "kind": {"dropout": N_("失学辍学"), "disability": N_("残疾儿童"), "funding": N_("资助落实")},
    "stage": {
        "discovery": N_("发现"),
        "home_visit": N_("入户走访"),
        "return_plan": N_("制定复学方案"),
        "return_confirmation": N_("复学确认"),
        "closure": N_("审核销号"),
        "closed": N_("已销号"),
    },
    "role": {
        "case_officer": N_("办案人员"),
        "township_lead": N_("乡镇教育管理中心负责人"),
        "section_chief": N_("责任科室负责人"),
        "office_head": N_("督导办负责人"),
        "group_leader": N_("责任组长"),
        "county": N_("县级"),
        "admin": N_("系统管理员"),
        "school": N_("学校控辍保学专干"),
        "township_gov": N_("乡镇政府分管领导"),
        "village_cadre": N_("村（社区）干部"),
    },
    "outcome": {
        "returned": N_("已复学"),
        "arranged": N_("已安置"),
        "aid_delivered": N_("资助已落实"),
        "excluded": N_("已排除"),
        "merged": N_("已合并"),
    },
    "finding": {"confirmed": N_("确认"), "excluded": N_("排除"), "whereabouts_unknown": N_("下落不明")},
    "did": {"confirmed": N_("复学确认"), "excluded": N_("排除")},
    "exclude_reason": {
        "enrolled_elsewhere": N_("已在他处就读"),
        "moved_out": N_("已迁出本县"),
        "deceased": N_("已死亡"),
        "abroad": N_("出国（出境）"),
        "over_age": N_("超龄"),
        "duplicate": N_("重复"),
        "other": N_("其他"),
    },
    "placement": {
        "original_school": N_("回原校"),
        "transfer": N_("转学"),
        "vocational": N_("职业学校"),
        "special_school": N_("特殊教育学校"),
    },
    "arrangement": {
        "inclusive_class": N_("随班就读"),
        "special_school": N_("特殊教育学校"),
        "home_delivery": N_("送教上门"),
        "suspension": N_("休学"),
        "deferral": N_("缓学"),
    },
    "education_level": {
        "preschool": N_("学前教育"),
        "compulsory": N_("义务教育"),
        "senior_high": N_("普通高中"),
        "higher": N_("高等教育"),
        "vocational": N_("职业教育"),
    },
    "channel": {"school": N_("到校"), "household": N_("到户"), "person": N_("到人")},
    "event": {
        "opened": N_("立案"),
        "escalated": N_("督办"),
        "roster_changed": N_("责任链变更"),
        "restored": N_("恢复运行"),
        "reopened": N_("重新立案"),
        "merged": N_("并入同一儿童的案件"),
        "merged_in": N_("合并同一儿童的临时身份案件"),
        "exclusion_sampled": N_("排除被抽中，待组长核查"),
        **{spec.event: spec.event_label for spec in STEPS.values()},
    },
    "xueji": {
        "resume": N_("恢复在读"),
        "transfer_in": N_("转入"),
        "suspend": N_("休学（缓学）登记"),
        "home_delivery": N_("送教上门纳入学籍"),
        "transfer_out": N_("转出"),
        "close_record": N_("学籍注销"),
    },
    "xueji_status": {"pending": N_("待办"), "done": N_("已办")},
    "ground": {
        "careless_screening": N_("排查不认真"),
        "perfunctory": N_("工作走过场"),
        "late_discovery": N_("问题发现不及时"),
        "rectification_lagging": N_("整改落实不到位"),
    },
    "method": {"visit": N_("入户劝返"), "phone": N_("电话劝返"), "school": N_("到校劝返"), "village": N_("村组劝返")},
    "reopen_reason": {
        "relapse": N_("再次辍学"),
        "arrangement_expired": N_("休学/缓学期满"),
        "discovery": N_("比对再次发现"),
        "exclusion_rejected": N_("组长抽查不同意排除"),
    },
    "escalation_reason": {
        "overdue": N_("逾期"),
        "clearance_deadline": N_("清零期限已到"),
        "exclusion_check": N_("抽查排除待核查"),
        "transfer_pending": N_("转出待答复"),
    },
    "status": {"pending": N_("待发送"), "sent": N_("已发送"), "failed": N_("发送失败"), "duplicate": N_("重复未发")},
    "outcome_of_access": {"ok": N_("允许"), "denied": N_("拒绝")},
    "action": {
        "show": N_("查看"),
        "reveal": N_("完整查看"),
        "history": N_("历史"),
        "cases": N_("案件列表"),
        "escalations": N_("督办"),
        "audit": N_("审计"),
        "retention": N_("匿名化"),
        **STEP_LABELS,
        "step": N_("办理"),
        "open_mismatch": N_("立案（信息不符）"),
        "officer_add": N_("登记人员"),
        "officer_revoke": N_("吊销密钥"),
        "officer_rename": N_("人员改名"),
        "campaign_add": N_("新增排查活动"),
        "roster_reload": N_("花名册重载"),
        "import": N_("导入登记表"),
        "discover": N_("比对"),
        "discover_apply": N_("比对立案"),
        "verify": N_("核对"),
        "evidence": N_("查看佐证资料列表"),
        "evidence_upload": N_("上传佐证资料"),
        "evidence_get": N_("取回佐证资料"),
        "report": N_("报表"),
        "ledger": N_("台账"),
        "notify": N_("通知设置"),
        "notify_other": N_("为他人设置通知"),
    },
    "register": {
        "household": N_("户籍"),
        "enrollment": N_("学籍"),
        "alleviated": N_("脱贫户学生"),
        "aid": N_("资助发放"),
        "disability": N_("残疾儿童"),
        "attendance": N_("在校生名单"),
        "priority": N_("重点群体"),
    },
    "reason": {
        "never_enrolled": N_("未入学籍"),
        "enrolled_not_attending": N_("有学籍未在校"),
        "transferred_not_received": N_("转出后无学校接收"),
        "status_unknown": N_("在校状态无法识别，待乡镇核实"),
        "absence": N_("学校报告缺勤"),
        "recheck": N_("县级复核发现"),
        "arranged_not_attending": N_("已安置入学但未在校"),
        "aid_not_received": N_("资助未到位"),
        "not_arranged": N_("未安置"),
    },
    "priority": {
        "orphan": N_("孤儿"),
        "unsupported": N_("事实无人抚养"),
        "left_behind": N_("留守儿童"),
        "migrant": N_("随迁子女"),
        "disabled": N_("残疾儿童"),
        "alleviated": N_("脱贫家庭"),
        "other": N_("其他重点群体"),
    },
    "attendance": {
        "present": N_("在读"),
        "suspended": N_("休学"),
        "transferred": N_("转学"),
        "left": N_("其他离校"),
        "other": N_("其他"),
    },
    "book": {
        "children": N_("适龄儿童台账"),
        "suspected": N_("疑似辍学学生台账"),
        "dropouts": N_("辍学学生台账"),
        "xueji": N_("学籍变动台账"),
    },
    "calendar": {"workdays": N_("工作日"), "calendar": N_("自然日")},
    "yes_no": {"yes": N_("是"), "no": N_("否")},
    "topic": {
        "escalated": N_("催办"),
        "transfer_requested": N_("转出申请"),
        "merged": N_("合并"),
        "order": N_("整改通知"),
        "recheck": N_("复核提醒"),
        "digest": N_("每日汇总"),
        "delivery_failed": N_("未送达通知"),
    },
    "check_kind": {"quarterly": N_("季度复核"), "term_start": N_("开学初入校入户")},
    "school_stage": {
        "primary": N_("小学"),
        "junior": N_("初中"),
        "nine_year": N_("九年一贯制"),
        "special": N_("特殊教育"),
    },
    "verify_problem": {
        "ledger_behind": N_("台账落后于案件"),
        "ledger_ahead": N_("台账记有案件未提交的步骤"),
        "workflow_ended": N_("工作流已中止"),
        "workflow_missing": N_("工作流缺失"),
        "completed_but_open": N_("工作流已结束而台账未销号"),
        "audit_chain_broken": N_("审计日志链被破坏"),
        "officer_altered": N_("人员记录在数据库中被改动"),
        "officer_unsealed": N_("人员记录没有服务器的封印"),
        "assignee_unresolved": N_("办案人员不能对应到唯一的人员"),
        "event_unaccounted": N_("台账中的事件没有工作流的封印"),
        "step_unaccounted": N_("台账中的步骤没有对应的签名"),
        "workflow_task_failing": N_("工作流无法执行（任务反复失败）"),
    },
}


def label(category: str, value: str | None, lang: Lang | None = None) -> str:
    """The value as people read it; an unknown value is shown as it is."""
    if value is None:
        return ""
    text = LABELS.get(category, {}).get(value)
    return translate(text, lang) if text else value


def code_of(category: str, text: str) -> str | None:
    """The value a person typed by its code or by its words (in either language); None if neither."""
    typed = text.strip()
    for code, words in LABELS.get(category, {}).items():
        if typed in (code, words, translate(words)):
            return code
    return None


def choices_of(category: str) -> str:
    """The category's values with their words, for an error line: `resume（恢复在读）|…`."""
    return "|".join(f"{code}（{translate(words)}）" for code, words in LABELS.get(category, {}).items())


def choice_help(lead: str, category: str, codes: Iterable[str] | None = None) -> str:
    """An option's help: what it asks, then every choice as the tables show it, with its code
    (either may be typed): `阶段：入户走访（home_visit）、制定方案（plan）…`."""
    words = LABELS[category]
    chosen = list(codes) if codes is not None else list(words)
    if current_lang() == "en":
        english = {code: translate(words[code], "en") for code in chosen}
        shown = (text if text.replace(" ", "_") == code else f"{text} ({code})" for code, text in english.items())
        return f"{lead}: " + ", ".join(shown)
    return f"{lead}：" + "、".join(f"{translate(words[code])}（{code}）" for code in chosen)
