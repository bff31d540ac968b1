"""`escalations`, `notifications`: what went up the chain and whether it arrived."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledger.escalations import EscalationFilter, list_escalations, list_notifications
from starter.access import reading_actor, require_township_access, scope_of
from starter.context import AsOption, Context, JsonOption, print_json
from starter.errors import BadInput
from starter.messages import t
from starter.parsing import parse_since

STATUSES = ("pending", "sent", "failed")


def escalations(
    typer_ctx: typer.Context,
    level: Annotated[int | None, typer.Option("--level", min=0, max=2)] = None,
    township: Annotated[str | None, typer.Option("--township")] = None,
    group: Annotated[int | None, typer.Option("--group", min=1)] = None,
    since: Annotated[str | None, typer.Option("--since", help="YYYY-MM-DD (China time)")] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every escalation in the reader's scope: case, township, stage, level, recipients, when, delivered."""
    ctx: Context = typer_ctx.obj
    ctx.act_as(actor)
    reader = reading_actor(ctx)
    canonical = ctx.chain(township).township if township else None
    if canonical:
        require_township_access(ctx, reader, canonical, "escalations")
    where = EscalationFilter(
        townships=scope_of(ctx, reader),
        level=level,
        township=canonical,
        group=group,
        since=parse_since(since),
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
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """The notification outbox in the reader's scope, and each row's delivery."""
    ctx: Context = typer_ctx.obj
    ctx.act_as(actor)
    if status is not None and status not in STATUSES:
        raise BadInput(t("bad_value", option="--status", value=f"{status} ({'|'.join(STATUSES)})"))
    reader = reading_actor(ctx)
    with ctx.sessions() as session:
        rows = list_notifications(session, status=status, townships=scope_of(ctx, reader))
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


def audit_(
    typer_ctx: typer.Context,
    case: Annotated[str | None, typer.Option("--case", help="Case number or workflow id")] = None,
    officer: Annotated[str | None, typer.Option("--officer")] = None,
    since: Annotated[str | None, typer.Option("--since", help="YYYY-MM-DD (China time)")] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """The access log: every look at personal fields, every reveal with its purpose, every refusal."""
    from ledger.audit import entries
    from starter.access import county_reader
    from starter.case_service import cipher_for, find_case_or_exit

    ctx: Context = typer_ctx.obj
    ctx.act_as(actor)
    county_reader(ctx, "audit")
    case_no = find_case_or_exit(ctx, case).case_no if case else None
    with ctx.sessions() as session:
        rows = entries(session, cipher=cipher_for(ctx), case_no=case_no, actor=officer, since=parse_since(since))
    if as_json:
        print_json(rows)
        return
    table = Table("at", "actor", "role", "action", "outcome", "case_no", "purpose")
    for row in rows:
        table.add_row(
            row["at"][:19],
            row["actor"],
            row["role"],
            row["action"],
            row["outcome"],
            row["case_no"] or "",
            row["purpose"] or "",
        )
    Console().print(table)
