"""`campaign add`, `campaign list`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from config.campaign_files import CampaignFileError, builtin_campaigns, load_campaign_file
from ledger.campaigns import add_missing_campaigns, current_campaign, list_campaigns, upsert_campaign
from starter.context import Context, JsonOption, print_json
from starter.errors import BadInput
from starter.messages import t

campaign_app = typer.Typer(help="Campaigns: reference date, clearance deadline, stage durations.", no_args_is_help=True)


@campaign_app.command("add")
def add(typer_ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A campaign YAML file")]) -> None:
    """Add a campaign, or replace the one of the same name."""
    ctx: Context = typer_ctx.obj
    if not file.exists():
        raise BadInput(t("file_missing", path=file))
    try:
        spec = load_campaign_file(file)
    except CampaignFileError as error:
        raise BadInput(t("campaign_file_bad", detail=error)) from None
    with ctx.sessions.begin() as session:
        upsert_campaign(session, spec=spec)
    typer.echo(t("campaign_saved", name=spec.name))


@campaign_app.command("list")
def list_(typer_ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every campaign; the current one (the default for --campaign) marked."""
    ctx: Context = typer_ctx.obj
    with ctx.sessions.begin() as session:
        add_missing_campaigns(session, specs=builtin_campaigns(ctx.settings.campaigns_dir))
        specs = list_campaigns(session)
        current = current_campaign(session, now=dt.datetime.now(dt.UTC))
    rows = [
        {**spec.model_dump(mode="json"), "current": current is not None and spec.name == current.name} for spec in specs
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("", "name", "reference_date", "clearance_deadline", "calendar", "description")
    for row in rows:
        table.add_row(
            "*" if row["current"] else "",
            row["name"],
            row["reference_date"],
            row["clearance_deadline"],
            row["calendar"],
            row.get("description") or "",
        )
    Console().print(table)
