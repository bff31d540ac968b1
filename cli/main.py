"""The `baoxue` command. Officers' and supervisors' commands ask the server (cli/*_commands);
the services' own commands (`up`, `serve`, `worker`, …) run here, loading the server's parts lazily."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli import admin_commands, case_commands, identity_commands, read_commands, server_commands
from cli.errors import EXIT_FAILED, ClientError
from cli.session import Invocation
from domain.messages import set_lang, t
from domain.parsing import InputError

app = typer.Typer(
    name="baoxue",
    help="保学 baoxue —— 控辍保学案件办理。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main_options(
    typer_ctx: typer.Context,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="本地服务的数据目录")] = None,
    actor: Annotated[str | None, typer.Option("--as", help="以本机档案中的哪个身份办理（BAOXUE_ACTOR）")] = None,
) -> None:
    typer_ctx.obj = Invocation(data_dir=data_dir, actor=actor)


server_commands.register(app)
app.command("login")(identity_commands.login)
app.command("whoami")(identity_commands.whoami)
app.command("logout")(identity_commands.logout)
app.add_typer(admin_commands.roster_app, name="roster")
app.add_typer(case_commands.case_app, name="case")
app.command("cases")(case_commands.cases)
app.command("escalations")(read_commands.escalations)
app.command("notifications")(read_commands.notifications)
app.command("audit")(read_commands.audit_)
app.command("import")(admin_commands.import_)
app.command("discover")(admin_commands.discover_)
app.add_typer(identity_commands.officer_app, name="officer")
app.add_typer(admin_commands.campaign_app, name="campaign")
app.add_typer(admin_commands.retention_app, name="retention")


def run_cli() -> int:
    """Run a command and return its exit code: usage errors 2, a refusal its code, anything else 1."""
    set_lang("en" if os.environ.get("BAOXUE_LANG", "").lower().startswith("en") else "zh")
    try:
        app(prog_name="baoxue")
        return 0
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except (ClientError, InputError) as error:
        print(error.message, file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        print(t("unexpected", error=f"{type(error).__name__}: {error}"), file=sys.stderr)
        return EXIT_FAILED


def main() -> None:
    code = run_cli()
    sys.stdout.flush()
    sys.stderr.flush()
    # `up`, `worker` and `serve` may hold Temporal clients whose Rust threads can abort interpreter
    # finalisation (sdk-python#300): everything is flushed by now, so leave without it.
    os._exit(code)
