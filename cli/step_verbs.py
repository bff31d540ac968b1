"""The generic verb of a declared step: `baoxue case NAME CASE --FIELD VALUE …`, built from the
step's declaration (domain/step_specs.py) for every step that has fields and no verb of its own.
Each field is an option (`--` and its name with hyphens), typed and checked here as the server
will check it again; evidence files are uploaded first, as every step's are."""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Annotated, Any

import typer

from cli.case_commands import AsOption, CaseArg, JsonOption, invocation, run_step
from cli.errors import bad_input
from cli.evidence_upload import EvidenceFileOption, read_evidence, upload_evidence
from domain.beijing import china_today
from domain.i18n import _, translate
from domain.messages import t
from domain.parsing import parse_bool, parse_date
from domain.step_specs import STEPS, FieldKind, StepField, StepSpec

_OPTION_TYPES: dict[FieldKind, Any] = {
    FieldKind.text: str,
    FieldKind.date: str,
    FieldKind.number: int,
    FieldKind.yes_no: str,
}
_KIND_HINTS = {FieldKind.date: "YYYY-MM-DD", FieldKind.yes_no: "yes|no"}


def option_name(field: StepField) -> str:
    """`--` and the field's name with hyphens; evidence files are `--evidence-file`, as for every step."""
    return "--evidence-file" if field.kind == FieldKind.evidence else "--" + field.name.replace("_", "-")


def _parameter(field: StepField) -> inspect.Parameter:
    if field.kind == FieldKind.evidence:
        return inspect.Parameter(
            field.name, inspect.Parameter.KEYWORD_ONLY, annotation=EvidenceFileOption, default=None
        )
    hint = _KIND_HINTS.get(field.kind)
    shown = (
        translate(field.help or field.label)
        + (f" {hint}" if hint else "")
        + (_("（默认今天）") if field.today_by_default else "")
    )
    option = typer.Option(option_name(field), help=shown)
    kind = _OPTION_TYPES[field.kind]
    if field.required:
        return inspect.Parameter(field.name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[kind, option])
    return inspect.Parameter(
        field.name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[kind | None, option], default=None
    )


def _value(field: StepField, raw: Any) -> Any:
    """The option's value as the step's field, or a one-line refusal naming the option."""
    if raw is None:
        return None
    if field.kind == FieldKind.text:
        text = str(raw).strip()
        if not text or len(text) > field.max_length:
            raise bad_input(t("bad_value", option=option_name(field), value=repr(raw)))
        return text
    if field.kind == FieldKind.date:
        day = parse_date(raw, option_name(field))
        return day.isoformat() if day else None
    if field.kind == FieldKind.yes_no:
        return parse_bool(raw, option_name(field))
    return raw


def verb_for(spec: StepSpec) -> Any:
    """A typer command for the step, with one option a field."""

    def verb(typer_ctx: typer.Context, case_ref: str, actor: str | None, as_json: bool, **given: Any) -> None:
        inv = invocation(typer_ctx, actor)
        fields: dict[str, Any] = {}
        for field in spec.fields:
            if field.kind == FieldKind.evidence:
                paths = given.get(field.name) or []
                read_evidence(paths)
                fields[field.name] = upload_evidence(inv, case_ref, paths)
            else:
                fields[field.name] = _value(field, given.get(field.name))
            if field.today_by_default and fields[field.name] is None:
                fields[field.name] = china_today(dt.datetime.now(dt.UTC)).isoformat()
        run_step(inv, case_ref, spec.name, fields, as_json)

    parameters = [
        inspect.Parameter("typer_ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
        inspect.Parameter("case_ref", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=CaseArg),
        *(_parameter(field) for field in spec.fields),
        inspect.Parameter("actor", inspect.Parameter.KEYWORD_ONLY, annotation=AsOption, default=None),
        inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, annotation=JsonOption, default=False),
    ]
    verb.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]  # typer reads the signature
    verb.__annotations__ = {p.name: p.annotation for p in parameters}
    verb.__name__ = spec.name
    verb.__doc__ = spec.help
    return verb


def add_step_verbs(case_app: typer.Typer) -> None:
    """A generic verb for each declared step with fields and no verb of its own."""
    own = {command.name for command in case_app.registered_commands}
    for spec in STEPS.values():
        name = spec.name.replace("_", "-")
        if spec.fields and name not in own:
            case_app.command(name)(verb_for(spec))
