"""Why a case refuses a step: a code with parameters, rendered in Chinese or English."""

from __future__ import annotations

from typing import Any

STEP_NAMES: dict[str, tuple[str, str]] = {
    "visit": ("走访", "visit"),
    "plan": ("复学方案", "plan"),
    "confirm": ("复学确认", "confirm"),
    "close": ("销号", "close"),
    "reassign": ("改派", "reassign"),
    "note": ("备注", "note"),
    "open": ("立案", "open"),
}

STAGE_NAMES: dict[str, tuple[str, str]] = {
    "discovery": ("发现", "discovery"),
    "home_visit": ("入户走访", "home_visit"),
    "return_plan": ("制定复学方案", "return_plan"),
    "return_confirmation": ("复学确认", "return_confirmation"),
    "closure": ("审核销号", "closure"),
    "closed": ("已销号", "closed"),
}

RULE_MESSAGES: dict[str, tuple[str, str]] = {
    "wrong_stage": (
        "案件当前处于“{stage}”阶段，不能执行“{step}”（需处于“{expected}”阶段）",
        "the case is at stage {stage}; {step} needs stage {expected}",
    ),
    "case_closed": ("案件已销号，不能再执行“{step}”", "the case is closed; {step} is not possible"),
    "wrong_kind": ("{field} 不适用于 {kind} 类案件", "{field} does not apply to a {kind} case"),
    "missing_field": ("缺少必填项：{field}", "missing required field: {field}"),
    "unexpected_field": ("{field} 仅在 {when} 时填写", "{field} is only given when {when}"),
    "past_date": ("{field} 不能早于今天（{today}）", "{field} cannot be before today ({today})"),
    "future_date": ("{field} 不能晚于今天（{today}）", "{field} cannot be after today ({today})"),
    "not_permitted": (
        "{actor}（{role}）无权办理 {township} 的案件",
        "{actor} ({role}) may not act on cases of {township}",
    ),
    "reviewer_role": (
        "销号须由责任科室负责人、督导办负责人、组长或县级人员审核，{actor}（{role}）不能销号",
        "closure needs a section chief, office head, group leader or county reviewer; {actor} ({role}) cannot close",
    ),
    "four_eyes": (
        "销号须由确认复学以外的另一人审核：{actor} 已确认复学，不能再销号",
        "closure needs a second person: {actor} recorded the confirmation and cannot close",
    ),
    "reassign_target": (
        "只能改派给 {township} 的办案人员，{to} 不是",
        "a case of {township} can only go to one of its case officers; {to} is not",
    ),
    "unsigned": ("该操作未签名（缺少办理人私钥）", "the step is not signed (no private key for the actor)"),
    "bad_signature": ("签名无效", "the signature is not valid"),
    "stale_signature": (
        "签名时间与服务器时间相差超过5分钟，请校准本机时间",
        "the signature's time is more than 5 minutes from the server's; check this machine's clock",
    ),
    "key_revoked": ("{actor} 的密钥已被吊销", "{actor}'s key has been revoked"),
    "stale_step": (
        "案件已有新的变化（签名时为第 {seq} 步，现为第 {now} 步），请重新查看后再办理",
        "the case has moved on since this step was signed (step {seq}, now {now}); look again and retry",
    ),
    "reassign_same": ("案件已由 {to} 负责", "the case is already assigned to {to}"),
}


class CaseRuleViolation(Exception):
    """A business rule refused a step; raised by domain.rules, turned into ApplicationError by workflows."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(render(code, params, "en"))
        self.code = code
        self.params = params


def _localise(value: Any, lang: str) -> Any:
    index = 1 if lang == "en" else 0
    if isinstance(value, str):
        for table in (STEP_NAMES, STAGE_NAMES):
            if value in table:
                return table[value][index]
    return value


def render(code: str, params: dict[str, Any], lang: str) -> str:
    zh, en = RULE_MESSAGES.get(code, ("{code}", "{code}"))
    template = en if lang == "en" else zh
    localised = {k: _localise(v, lang) for k, v in params.items()}
    try:
        return template.format(code=code, **localised)
    except (KeyError, IndexError):
        return f"{code}: {params}"
