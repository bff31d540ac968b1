"""`roster show`, `roster check`: the 包片责任制一览表."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from config.roster_file import RosterError, load_roster
from domain.roster import TownshipChain
from starter.context import Context, JsonOption, print_json
from starter.errors import BadInput
from starter.messages import t

roster_app = typer.Typer(help="The area-responsibility roster (包片责任制一览表).", no_args_is_help=True)

_HEADERS = ("乡镇（街道）", "组别", "责任组长", "责任片区", "责任科室", "责任人", "督导办公室", "责任人")


def _table(chains: list[TownshipChain]) -> Table:
    table = Table(*_HEADERS)
    for c in chains:
        table.add_row(
            c.township, str(c.group), c.group_leader, c.area, c.section, c.section_chief, c.office, c.office_head
        )
    return table


@roster_app.command("show")
def show(
    typer_ctx: typer.Context,
    township: Annotated[str | None, typer.Argument(help="A township, with or without 镇/乡/街道")] = None,
    as_json: JsonOption = False,
) -> None:
    """The chain for one township, or the whole table."""
    ctx: Context = typer_ctx.obj
    if township is not None:
        chain = ctx.chain(township)
        if as_json:
            print_json(chain.model_dump())
        else:
            Console().print(_table([chain]))
        return
    chains = ctx.roster.chains()
    if as_json:
        print_json([c.model_dump() for c in chains])
    else:
        Console().print(_table(chains))


@roster_app.command("check")
def check(file: Annotated[Path, typer.Argument(help="A roster YAML file")]) -> None:
    """Validate a roster file and list every problem with its place."""
    if not file.exists():
        raise BadInput(t("file_missing", path=file))
    try:
        roster = load_roster(file)
    except RosterError as exc:
        typer.echo(t("roster_problems", path=file, n=len(exc.problems)), err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(2) from None
    typer.echo(t("roster_ok", groups=len(roster.groups), townships=len(roster.townships())))


@roster_app.command("reload")
def reload(typer_ctx: typer.Context) -> None:
    """Send a changed roster to every open case: later escalations go to the new chain."""
    import asyncio

    from starter.case_service import reload_roster

    ctx: Context = typer_ctx.obj
    signalled, unchanged = asyncio.run(reload_roster(ctx))
    typer.echo(t("roster_reloaded", version=ctx.roster.version, signalled=signalled, unchanged=unchanged))
