"""Every step is declared once (domain/step_specs.py) and everything that serves it agrees with the
declaration: its input model, its update on the workflow, its rule, its labels, its CLI verb."""

from __future__ import annotations

from domain.enums import Stage
from domain.i18n import translate
from domain.labels import LABELS
from domain.privacy import PLAIN_DETAIL_KEYS
from domain.rules import STEP_RULES
from domain.stage_machine import move_after
from domain.step_specs import STEPS, FieldKind, Where
from domain.steps import INPUTS, StepInput
from workflows.case import CaseWorkflow

RECORDED_BEYOND_FIELDS = {
    "reassign": {"from", "to"},
    "follow_up": {"check"},
    "transfer_accept": {"from_township", "from_group", "to_township", "to_group", "officer_id"},
    "transfer_decline": {"to_township"},
    "receipt": {"to_county", "exclude_reason"},
    "identify": {"merged_into", "into_township"},
}
"""What a step records that is not one of its input's fields."""


def test_every_declared_step_has_one_input_model_named_by_it() -> None:
    assert set(INPUTS) == set(STEPS)
    for name, model in INPUTS.items():
        assert issubclass(model, StepInput) and model.step == name


def test_every_step_is_an_update_of_the_case_typed_by_its_input_model() -> None:
    for name in STEPS:
        definition = CaseWorkflow.__temporal_workflow_definition.updates[name]
        assert definition.validator is not None
        assert definition.arg_types == [INPUTS[name]]


def test_declarations_agree_with_models_rules_and_labels() -> None:
    assert set(STEP_RULES) <= set(STEPS)
    for name, spec in STEPS.items():
        assert (spec.where == Where.at_stage) == (spec.stage is not None), name
        fields = set(INPUTS[name].model_fields) - {"actor", *StepInput.model_fields}
        assert set(spec.plain_fields()) <= fields | RECORDED_BEYOND_FIELDS.get(name, set()), name
        assert set(spec.plain_fields()) <= PLAIN_DETAIL_KEYS
        assert LABELS["step"][name] == spec.label and LABELS["event"][spec.event] == spec.event_label
        for text in (
            spec.label,
            spec.event_label,
            spec.help,
            *(f.label for f in spec.fields),
            *(f.help for f in spec.fields),
        ):
            assert not text or translate(text, "en") != text, f"{name}: no English for {text!r}"
        assert all(f.kind != FieldKind.evidence or f.name == "evidence_files" for f in spec.fields)


def test_the_stage_steps_move_the_case_along_the_stages_in_order() -> None:
    from domain.enums import CaseKind, Outcome

    shortcuts = {"back"}  # the school's word closes the case at its first stage
    stage = move_after(CaseKind.dropout, "opened")
    assert stage is not None and stage.to == Stage.home_visit
    for spec in (s for s in STEPS.values() if s.where == Where.at_stage and s.name not in shortcuts):
        assert spec.stage == stage.to, spec.name
        stage = move_after(CaseKind.dropout, spec.event, finding="confirmed")
        assert stage is not None
    assert stage.to == Stage.closed
    back = move_after(CaseKind.dropout, STEPS["back"].event)
    assert STEPS["back"].stage == Stage.home_visit and back is not None
    assert (back.to, back.outcome, back.by_actor) == (Stage.closed, Outcome.excluded, False)


def test_every_step_has_a_cli_verb() -> None:
    from cli.case_commands import case_app
    from cli.main import app  # noqa: F401  (registers the generic verbs)

    verbs = {command.name for command in case_app.registered_commands}
    assert {name.replace("_", "-") for name in STEPS} <= verbs
