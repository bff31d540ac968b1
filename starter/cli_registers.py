"""`import` and `discover`: registers in, suspected cases out."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from activities.registers import RegisterFileError
from domain.enums import CaseKind, Role
from domain.registers import REGISTERS, RegisterKind
from starter.access import reading_actor, require_township_access, scope_of
from starter.actors import acting_officer
from starter.case_service import resolve_campaign
from starter.context import AsOption, Context, JsonOption, print_json
from starter.discovery_service import (
    DISCOVERY_ACTOR,
    apply_discovery,
    discover,
    import_register,
    write_suspect_list,
)
from starter.errors import BadInput, Refused
from starter.messages import t
from starter.parsing import parse_choice


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[object]:
    """A progress bar on a terminal (stderr); nothing when output goes to a file or a pipe."""
    if not sys.stderr.isatty():
        yield None
        return
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def import_(
    typer_ctx: typer.Context,
    register: Annotated[str, typer.Argument(help="household|enrollment|alleviated|aid|disability")],
    file: Annotated[Path, typer.Argument(help="xlsx, or csv in UTF-8 or GB18030")],
    campaign: Annotated[str | None, typer.Option("--campaign")] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Sheet name (default: the first)")] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import a register for a campaign; every bad row is kept with its row number and reason."""
    ctx: Context = typer_ctx.obj
    kind = parse_choice(RegisterKind, register, "REGISTER")
    assert kind is not None
    if not file.is_file():
        raise BadInput(t("file_missing", path=file))
    spec = resolve_campaign(ctx, campaign)
    try:
        with progress_bar(f"{REGISTERS[kind].label} {file.name}") as report:
            summary = import_register(
                ctx,
                kind=kind,
                path=file,
                campaign=spec,
                sheet=sheet,
                imported_by=actor or ctx.actor_name,
                progress=report,
            )  # type: ignore[arg-type]
    except RegisterFileError as error:
        key = "register_missing_columns" if error.code == "missing_columns" else "register_unreadable"
        raise BadInput(t(key, file=file.name, detail=error.detail)) from None
    if as_json:
        print_json(summary.__dict__)
        return
    if summary.unchanged:
        typer.echo(t("import_unchanged", file=file.name, register=REGISTERS[kind].label, campaign=spec.name))
        return
    typer.echo(
        t(
            "import_done",
            register=REGISTERS[kind].label,
            rows=summary.rows,
            valid=summary.valid,
            rejected=summary.rejected_rows,
            campaign=spec.name,
        )
    )
    if summary.rejected_rows:
        typer.echo(t("import_rejects", path=summary.rejects_file))


def discover_(
    typer_ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option("--campaign")] = None,
    township: Annotated[str | None, typer.Option("--township")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Open the suspects as cases (default: dry run)")] = False,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64)] = 8,
    actor: Annotated[
        str | None, typer.Option("--as", help="A county officer (default: the system's county role)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Reconcile the campaign's registers into suspects; --apply opens them (twice opens nothing new)."""
    ctx: Context = typer_ctx.obj
    ctx.act_as(actor)
    spec = resolve_campaign(ctx, campaign)
    canonical = ctx.chain(township).township if township else None
    reader = reading_actor(ctx)
    if canonical:
        require_township_access(ctx, reader, canonical, "discover")
    result = discover(ctx, campaign=spec, township=canonical)
    scope = scope_of(ctx, reader)
    if scope is not None:
        result.suspects = {kind: [s for s in found if s.township in scope] for kind, found in result.suspects.items()}
    result.report_file = str(write_suspect_list(ctx, result))
    if apply:
        officer = acting_officer(ctx) if ctx.actor_name else DISCOVERY_ACTOR
        if officer.role != Role.county:
            raise Refused(t("discover_needs_county", actor=officer.name, role=officer.role.value))
        with progress_bar(t("discover_opening")) as report:
            asyncio.run(apply_discovery(ctx, result, actor=officer, concurrency=concurrency, progress=report))  # type: ignore[arg-type]
    if as_json:
        print_json(
            {
                "suspected": result.counts(),
                "rejected_rows": result.rejected_rows,
                "opened": result.opened,
                "already_open": result.already_open,
                "campaign": result.campaign,
                "by_township": result.by_township(),
                "report_file": result.report_file,
            }
        )
        return
    table = Table("乡镇（街道）", *(kind.value for kind in CaseKind))
    for name, counts in result.by_township().items():
        table.add_row(name, *(str(counts[kind.value]) for kind in CaseKind))
    Console().print(table)
    counts = result.counts()
    typer.echo(
        t(
            "discover_summary",
            campaign=result.campaign,
            dropout=counts["dropout"],
            funding=counts["funding"],
            disability=counts["disability"],
            rejected=result.rejected_rows,
            path=result.report_file,
        )
    )
    if apply:
        typer.echo(t("discover_applied", opened=result.opened, already=result.already_open))
