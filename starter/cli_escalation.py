"""`escalations`, `notifications`: what went up the chain and whether it arrived."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledger.escalations import EscalationFilter, list_escalations, list_notifications
from starter.context import Context, print_json
from starter.errors import BadInput
from starter.messages import t
from starter.parsing import parse_date

STATUSES = ("pending", "sent", "failed")


def escalations(
    typer_ctx: typer.Context,
    level: Annotated[int | None, typer.Option("--level", min=0, max=2)] = None,
    township: Annotated[str | None, typer.Option("--township")] = None,
    group: Annotated[int | None, typer.Option("--group", min=1)] = None,
    since: Annotated[str | None, typer.Option("--since", help="YYYY-MM-DD (China time)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every escalation: case, township, stage, level, recipients, when, delivered."""
    ctx: Context = typer_ctx.obj
    since_day = parse_date(since, "--since")
    where = EscalationFilter(
        level=level,
        township=ctx.chain(township).township if township else None,
        group=group,
        since=dt.datetime.combine(since_day, dt.time(), dt.timezone(dt.timedelta(hours=8))) if since_day else None,
    )
    with ctx.sessions() as session:
        rows = list_escalations(session, where=where)
    if as_json:
        print_json(rows)
        return
    table = Table("case_no", "township", "stage", "level", "recipients", "at", "delivered")
    for row in rows:
        table.add_row(
            row["case_no"],
            row["township"],
            row["stage"],
            str(row["level"]),
            "、".join(row["recipients"]),
            row["at"][:19],
            "✓" if row["delivered"] else "",
        )
    Console().print(table)


def notifications(
    typer_ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="pending|sent|failed")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The notification outbox and each row's delivery."""
    ctx: Context = typer_ctx.obj
    if status is not None and status not in STATUSES:
        raise BadInput(t("bad_value", option="--status", value=f"{status} ({'|'.join(STATUSES)})"))
    with ctx.sessions() as session:
        rows = list_notifications(session, status=status)
    if as_json:
        print_json(rows)
        return
    table = Table("case_no", "level", "recipient", "status", "attempts", "error")
    for row in rows:
        table.add_row(
            row["case_no"],
            str(row["level"]),
            row["recipient"],
            row["status"],
            str(row["attempts"]),
            (row["last_error"] or "")[:60],
        )
    Console().print(table)
