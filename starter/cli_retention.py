"""`retention run`: anonymise what the law no longer lets us keep."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from ledger.retention import anonymise
from starter.access import audit, county_reader
from starter.context import AsOption, Context, JsonOption, print_json
from starter.messages import t

retention_app = typer.Typer(help="Retention of personal data.", no_args_is_help=True)


@retention_app.command("run")
def run(
    typer_ctx: typer.Context,
    older_than: Annotated[int | None, typer.Option("--older-than", min=0, help="Days since closure")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Anonymise cases closed longer than the retention period (BAOXUE_RETENTION_DAYS by default)."""
    ctx: Context = typer_ctx.obj
    ctx.act_as(actor)
    reader = county_reader(ctx, "retention")
    days = ctx.settings.retention_days if older_than is None else older_than
    now = dt.datetime.now(dt.UTC)
    with ctx.sessions.begin() as session:
        result = anonymise(session, cutoff=now - dt.timedelta(days=days), now=now, dry_run=dry_run)
    if not dry_run:
        audit(
            ctx, reader, "retention", "ok", detail=f"older_than={days} cases={result.cases} students={result.students}"
        )
    if as_json:
        print_json({"older_than_days": days, "dry_run": dry_run, "cases": result.cases, "students": result.students})
        return
    typer.echo(
        t("retention_done" if not dry_run else "retention_dry", days=days, cases=result.cases, students=result.students)
    )
