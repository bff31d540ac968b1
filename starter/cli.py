"""The `baoxue` command: officers, supervisors and admins."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from starter import (
    cli_campaign,
    cli_case,
    cli_escalation,
    cli_officer,
    cli_registers,
    cli_retention,
    cli_roster,
    cli_stack,
)
from starter.context import Context
from starter.errors import EXIT_FAILED, CliError
from starter.messages import t

app = typer.Typer(
    name="baoxue",
    help="保学 baoxue — 控辍保学 case workflows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main_options(
    typer_ctx: typer.Context,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data dir of the local stack")] = None,
    actor: Annotated[str | None, typer.Option("--as", help="Acting officer (BAOXUE_ACTOR)")] = None,
) -> None:
    typer_ctx.obj = Context(data_dir=data_dir, actor_name=actor or os.environ.get("BAOXUE_ACTOR"))


cli_stack.register(app)
app.add_typer(cli_roster.roster_app, name="roster")
app.add_typer(cli_case.case_app, name="case")
app.command("cases")(cli_case.cases)
app.command("escalations")(cli_escalation.escalations)
app.command("notifications")(cli_escalation.notifications)
app.command("audit")(cli_escalation.audit_)
app.command("import")(cli_registers.import_)
app.command("discover")(cli_registers.discover_)
app.add_typer(cli_officer.officer_app, name="officer")
app.add_typer(cli_campaign.campaign_app, name="campaign")
app.add_typer(cli_retention.retention_app, name="retention")


def run_cli() -> int:
    """Run the CLI and return its exit code: usage errors 2 (typer's own), CliError its code, anything else 1."""
    try:
        app(prog_name="baoxue")
        return 0
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except CliError as error:
        print(error.message, file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        print(t("unexpected", error=f"{type(error).__name__}: {error}"), file=sys.stderr)
        return EXIT_FAILED
    finally:
        Context.close_all()


def main() -> None:
    code = run_cli()
    sys.stdout.flush()
    sys.stderr.flush()
    # The Temporal client's Rust threads can abort interpreter finalisation (sdk-python#300):
    # everything is flushed and closed by now, so leave without it.
    os._exit(code)
