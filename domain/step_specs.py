"""Every officer step, declared once (docs/architecture.md, "How to add a step").

A declaration says what a step is called, which event it records, where in a case it may be
taken, which of its fields may stand in plain ledger columns, what it does to the figures, whether
a retry of it is recognised and — for a step without a hand-made input model and CLI verb — its
fields and their options. Who may take a step is scope, checked for every step, and the step's own
rule (closing needs a reviewer). Everything else is derived from it: the workflow's update
and validator (workflows/case.py), the API route and retry recognition (api/cases.py), privacy
(domain/privacy.py), labels (domain/labels.py), the report's fold (domain/report.py) and the CLI's
generic verb (cli/case_commands.py). The input model is the `domain.steps` model whose `step` is the
step's name, or one built from `fields`; the step's rule is `domain.rules.STEP_RULES[NAME]`.

Standard library only: the officer's client reads it for labels and the generic verbs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.enums import Stage
from domain.i18n import N_


class Where(StrEnum):
    """Where in a case a step may be taken."""

    at_stage = "at_stage"
    """Only at its `stage` (an open case)."""
    open = "open"
    """At any open stage."""
    watched = "watched"
    """On a closed case still watched by follow-up checks (动态监测)."""
    by_rule = "by_rule"
    """Wherever its rule allows (送教上门: before or after closure)."""


class Retry(StrEnum):
    """Whether a refused step may be the officer's retry of one that was in fact recorded."""

    none = "none"
    """Never: the refusal stands."""
    once = "once"
    """Happens once a stage: refused because the case moved on, it may already be done."""
    repeatable = "repeatable"
    """May be taken again: only the case's own word (`repeated_note`) makes it a retry."""


class FieldKind(StrEnum):
    text = "text"
    date = "date"
    number = "number"
    yes_no = "yes_no"
    evidence = "evidence"
    """Uploaded files (佐证资料): `--evidence-file`, repeatable."""


@dataclass(frozen=True)
class StepField:
    """One field of a step whose input model is built from its declaration; the CLI's option is
    `--` and the name with hyphens."""

    name: str
    kind: FieldKind
    label: str
    """What the field is called where a step's details are shown (N_)."""
    help: str = ""
    """The CLI option's help, when it says more than the label."""
    required: bool = False
    plain: bool = False
    """Names no child and describes no health or household: may stand in a plain column."""
    max_length: int = 2000
    today_by_default: bool = False
    """A date the CLI fills in with today (China) when it is not given."""


@dataclass(frozen=True)
class StepSpec:
    name: str
    event: str
    """The event the step records (its type in the ledger and the history)."""
    label: str
    """What people call the step (N_: translated where shown)."""
    event_label: str
    """What its event is called in a case's history."""
    where: Where = Where.open
    stage: Stage | None = None
    """With `Where.at_stage`: the stage the step belongs to."""
    plain: tuple[str, ...] = ()
    """Recorded fields that may stand in plain ledger columns (the rest is sealed)."""
    answers_reminder: bool = False
    """A step done answers the reminder about the stage or check it was taken at."""
    counted: bool = False
    """The figures count it per case (with the latest `on` date it carries)."""
    retry: Retry = Retry.none
    fields: tuple[StepField, ...] = ()
    """For a step without a hand-made input model: its fields (and CLI options)."""
    help: str = ""
    """The generic CLI verb's help (a step with its own verb has its own help)."""

    def plain_fields(self) -> tuple[str, ...]:
        return self.plain + tuple(f.name for f in self.fields if f.plain)


STEPS: dict[str, StepSpec] = {
    spec.name: spec
    for spec in (
        StepSpec(
            "visit",
            "visited",
            N_("走访"),
            N_("走访"),
            Where.at_stage,
            Stage.home_visit,
            plain=(
                "finding",
                "exclude_reason",
                "visited_on",
                "household_verified",
                "education_level",
                "aid_due",
                "evidence_files",
                "village",
                "dropout_cause",
            ),
            answers_reminder=True,
            retry=Retry.once,
        ),
        StepSpec(
            "plan",
            "planned",
            N_("复学方案"),
            N_("复学方案"),
            Where.at_stage,
            Stage.return_plan,
            plain=("target_date", "placement", "arrangement", "channel", "until", "sessions_per_month"),
            answers_reminder=True,
            retry=Retry.once,
        ),
        StepSpec(
            "confirm",
            "confirmed",
            N_("复学确认"),
            N_("复学确认"),
            Where.at_stage,
            Stage.return_confirmation,
            plain=("on", "delivered_to", "evidence_files"),
            answers_reminder=True,
            retry=Retry.once,
        ),
        StepSpec(
            "close",
            "closed",
            N_("销号"),
            N_("销号"),
            Where.at_stage,
            Stage.closure,
            answers_reminder=True,
            retry=Retry.once,
        ),
        StepSpec(
            "reassign",
            "reassigned",
            N_("改派"),
            N_("改派"),
            plain=("from", "to"),
        ),
        StepSpec(
            "note",
            "noted",
            N_("备注"),
            N_("备注"),
            retry=Retry.repeatable,
        ),
        StepSpec(
            "follow_up",
            "followed_up",
            N_("跟踪回访"),
            N_("跟踪回访"),
            Where.watched,
            plain=("attending", "check", "evidence_files"),
            answers_reminder=True,
        ),
        StepSpec(
            "session",
            "session",
            N_("送教上门"),
            N_("送教上门"),
            Where.by_rule,
            plain=("on", "evidence_files", "hours"),
            answers_reminder=True,
        ),
        StepSpec(
            "attempt",
            "attempted",
            N_("劝返"),
            N_("劝返"),
            plain=("on", "method", "persuader_name", "persuader_role", "evidence_files"),
            counted=True,
            retry=Retry.repeatable,
        ),
        StepSpec(
            "pledge",
            "pledged",
            N_("监护人承诺"),
            N_("监护人签订承诺书"),
            retry=Retry.repeatable,
            fields=(
                StepField(
                    "guardian",
                    FieldKind.text,
                    N_("监护人"),
                    N_("签订承诺书的监护人及其关系，如 王某某（父亲）"),
                    required=True,
                    max_length=64,
                ),
                StepField("content", FieldKind.text, N_("承诺内容"), required=True),
                StepField("on", FieldKind.date, N_("签订日期"), plain=True, today_by_default=True),
                StepField("evidence_files", FieldKind.evidence, N_("承诺书扫描件"), plain=True),
            ),
            help=N_("记录监护人签订的送子女入学承诺书（任一未结阶段）：谁签、承诺什么、何日签订，附扫描件。"),
        ),
        StepSpec(
            "transfer",
            "transfer_requested",
            N_("转出"),
            N_("申请转出到其他乡镇"),
            plain=("to", "evidence_files"),
        ),
        StepSpec(
            "transfer_out",
            "moved_out_county",
            N_("转出县外"),
            N_("转出县外，等待接收学校学籍"),
            plain=("to_county", "evidence_files"),
        ),
        StepSpec(
            "receipt",
            "receipt_recorded",
            N_("县外接收"),
            N_("县外接收学校已录入学籍"),
            plain=("to_county", "exclude_reason", "evidence_files"),
        ),
        StepSpec(
            "transfer_accept",
            "transfer_accepted",
            N_("接收转入"),
            N_("接收乡镇已接收"),
            plain=("from_township", "from_group", "to_township", "to_group", "officer", "officer_id"),
        ),
        StepSpec(
            "transfer_decline",
            "transfer_declined",
            N_("拒绝转入"),
            N_("接收乡镇拒绝接收"),
            plain=("to_township",),
        ),
        StepSpec(
            "identify",
            "identified",
            N_("补录身份证号"),
            N_("补录身份证号"),
            Where.by_rule,
            plain=("merged_into", "into_township"),
        ),
        StepSpec(
            "check_exclusion",
            "exclusion_checked",
            N_("抽查排除"),
            N_("组长抽查排除"),
            Where.by_rule,
            fields=(
                StepField(
                    "agreed",
                    FieldKind.yes_no,
                    N_("同意排除"),
                    N_("同意排除：yes|no；不同意则案件重新立案、回到入户走访"),
                    required=True,
                    plain=True,
                ),
                StepField("note", FieldKind.text, N_("核查意见"), N_("核查意见，如 已电话核实死亡证明")),
            ),
            help=N_("组长（或县级人员）核查抽中的排除案件：同意则结束；不同意则重新立案，回到入户走访。"),
        ),
        StepSpec(
            "back",
            "back_in_school",
            N_("学生返校"),
            N_("学校报告学生已返校"),
            Where.at_stage,
            Stage.home_visit,
            answers_reminder=True,
            retry=Retry.once,
            fields=(
                StepField("note", FieldKind.text, N_("学校说明"), N_("学校的说明，如 已返校上课，缺勤系病假")),
                StepField("on", FieldKind.date, N_("返校日期"), plain=True, today_by_default=True),
            ),
            help=N_("学校报告缺勤学生已返校（学校专干，本校报告的案件，入户走访前）：案件以“排除”销号。"),
        ),
    )
}


def step_of_event(event: str) -> StepSpec | None:
    return _BY_EVENT.get(event)


_BY_EVENT = {spec.event: spec for spec in STEPS.values()}
