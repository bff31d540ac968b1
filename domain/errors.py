"""Why a case refuses a step: a code with parameters, rendered in Chinese or English."""

from __future__ import annotations

from typing import Any

from domain.i18n import N_, Lang, translate
from domain.labels import LABELS, label

STEP_NAMES: dict[str, str] = LABELS["step"]

STAGE_NAMES: dict[str, str] = LABELS["stage"]

RULE_MESSAGES: dict[str, str] = {
    "wrong_stage": N_("案件当前处于“{stage}”阶段，不能执行“{step}”（需处于“{expected}”阶段）"),
    "case_closed": N_("案件已销号，不能再执行“{step}”"),
    "wrong_kind": N_("{field} 不适用于{kind}案件"),
    "missing_field": N_("缺少必填项：{field}"),
    "unexpected_field": N_("{field} 仅在{when}时填写"),
    "past_date": N_("{field} 不能早于今天（{today}）"),
    "future_date": N_("{field} 不能晚于今天（{today}）"),
    "not_permitted": N_("{actor}（{role}）无权办理{township}的案件"),
    "reviewer_role": N_("销号须由责任科室负责人、督导办负责人、组长或县级人员审核，{actor}（{role}）不能销号"),
    "four_eyes": N_("销号须由另一人审核：{actor} 已记录{did}，不能再销号"),
    "reassign_target": N_("只能改派给{township}的办案人员，{to} 不是"),
    "unsigned": N_("该操作未签名（缺少办理人私钥）"),
    "bad_signature": N_("签名无效"),
    "stale_signature": N_("签名时间与服务器时间相差超过5分钟，请校准本机时间"),
    "key_revoked": N_("{actor} 的密钥已被吊销"),
    "stale_step": N_("案件已有新的变化（签名时为第 {seq} 步，现为第 {now} 步），请重新查看后再办理"),
    "ledger_withdrawn": N_(
        "台账中自第 {seq} 步起的记录未被案件确认（当时的办理没有完成），已撤回；案件现为第 {now} 步，请重新查看后再办理"
    ),
    "reassign_same": N_("案件已由 {to} 负责"),
    "back_school_only": N_("学生返校由报告缺勤的学校专干报告，{actor} 不是"),
    "repeated_note": N_("{actor} 刚刚已添加过同样的备注"),
    "not_watched": N_("该案件没有待做的跟踪回访"),
    "not_home_delivery": N_("该案件的安置方式不是送教上门"),
    "transfer_pending": N_("案件已申请转往{to}，等待对方答复"),
    "transfer_same_township": N_("案件已在{township}，不能转往本乡镇"),
    "no_transfer": N_("该案件没有待答复的转出申请"),
    "no_transfer_out": N_("该案件没有转出县外、等待接收学籍的记录"),
    "transfer_officer": N_("只能指派{township}的办案人员接收，{name} 不是"),
    "transfer_target_missing": N_("转出的接收乡镇未经服务器确认（请用 baoxue case transfer）"),
    "transfer_not_permitted": N_("转出申请由接收乡镇的负责人或县级人员答复，{actor}（{role}）不能"),
    "exclusion_evidence": N_(
        "排除（{reason}）须附佐证材料：用 --evidence-file 上传（死亡证明、出境记录、转入学校学籍信息等）"
    ),
    "exclusion_closer": N_("排除须由责任科室负责人或以上人员审核销号，{actor}（{role}）不能"),
    "no_exclusion_check": N_("该案件没有待组长抽查的排除"),
    "exclusion_check_role": N_("抽查排除由责任组长或县级人员核查，{actor}（{role}）不能"),
    "not_provisional": N_("该案件的儿童已有身份证号，无需补录"),
    "date_too_early": N_("{field} 不能早于 {earliest}（立案前最多 90 天）"),
}


class CaseRuleViolation(Exception):
    """A business rule refused a step; raised by domain.rules, turned into ApplicationError by workflows."""

    def __init__(self, code: str, **params: Any) -> None:
        # Not rendered here: workflows raise it, and the catalogue is a file the sandbox may not
        # open. The edge renders the code and parameters in the reader's language.
        super().__init__(f"{code} {params}")
        self.code = code
        self.params = params


_PARAM_CATEGORIES = {"stage": "stage", "expected": "stage", "role": "role", "kind": "kind", "did": "did"}


def option_for(field: str) -> str:
    """The option a person typed for a step's field: what a refusal names."""
    return {"aid_items": "--aid", "measures": "--measure", "text": "TEXT"}.get(field, "--" + field.replace("_", "-"))


def _localise(key: str, value: Any, lang: Lang) -> Any:
    if not isinstance(value, str):
        return value
    if key == "field":
        return option_for(value)
    if key == "when" and value == "finding=excluded":
        return "--finding excluded"
    if key == "step" and value in STEP_NAMES:
        return translate(STEP_NAMES[value], lang)
    if key in _PARAM_CATEGORIES:
        return label(_PARAM_CATEGORIES[key], value, lang)
    return value


def render(code: str, params: dict[str, Any], lang: Lang) -> str:
    template = translate(RULE_MESSAGES.get(code, "{code}"), lang)
    localised = {k: _localise(k, v, lang) for k, v in params.items()}
    try:
        return template.format(code=code, **localised)
    except (KeyError, IndexError):
        return f"{code}: {params}"
