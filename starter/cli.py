"""The `baoxue` command: officers, supervisors and admins."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from starter import cli_roster, cli_stack
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


def main() -> None:
    """Run the CLI; usage errors exit 2 (typer's own), CliError its code, anything else 1, no traceback."""
    try:
        app(prog_name="baoxue")
    except CliError as error:
        print(error.message, file=sys.stderr)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:
        print(t("unexpected", error=f"{type(error).__name__}: {error}"), file=sys.stderr)
        sys.exit(EXIT_FAILED)
    finally:
        Context.close_all()
