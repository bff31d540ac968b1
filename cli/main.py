"""The `baoxue` command. Officers' and supervisors' commands ask the server (cli/*_commands);
the host's own commands (`up`, `serve`, `worker`, …) are not the client's: they join through the
entry-point group `baoxue.host_commands`, looked up only when the command typed is not the
client's own (docs/architecture.md, "The trust boundary")."""

from __future__ import annotations

import os
import sys

from domain.i18n import lang_from, set_lang, speak_to_libraries

# The language first: help texts are read when the command modules are imported, and click and
# typer translate their own words (usage errors, help labels) through the same catalogue.
LANG_SETTING = os.environ.get("BAOXUE_LANG")
LANG = lang_from(LANG_SETTING)
set_lang(LANG or "zh")
speak_to_libraries(LANG or "zh")

import inspect  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated  # noqa: E402

import typer  # noqa: E402

from cli import (  # noqa: E402
    absence_commands,
    admin_commands,
    case_commands,
    dashboard_commands,
    evidence_commands,
    identity_commands,
    notify_commands,
    provisional_commands,
    read_commands,
    report_commands,
    reporting_commands,
    school_commands,
    step_verbs,
    supervision_commands,
    transfer_commands,
    xueji_commands,
)
from cli.errors import EXIT_BAD_INPUT, EXIT_FAILED  # noqa: E402
from cli.help_format import WideHelpFormatter, dress  # noqa: E402
from cli.session import Invocation  # noqa: E402
from domain.failure import Failure  # noqa: E402
from domain.i18n import _, translate  # noqa: E402
from domain.messages import t  # noqa: E402

app = typer.Typer(
    name="baoxue",
    help=_("保学 baoxue —— 控辍保学案件办理。"),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    options_metavar=_("[选项]"),
    subcommand_metavar=_("命令 [参数]..."),
)


@app.callback()
def main_options(
    typer_ctx: typer.Context,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=_("本地服务的数据目录"))] = None,
    actor: Annotated[str | None, typer.Option("--as", help=_("以本机档案中的哪个身份办理（BAOXUE_ACTOR）"))] = None,
) -> None:
    typer_ctx.obj = Invocation(data_dir=data_dir, actor=actor)


app.command("login")(identity_commands.login)
app.command("whoami")(identity_commands.whoami)
app.command("logout")(identity_commands.logout)
app.add_typer(admin_commands.roster_app, name="roster")
case_commands.case_app.command("evidence")(evidence_commands.evidence)
case_commands.case_app.command("transfer")(transfer_commands.transfer)
case_commands.case_app.command("transfer-accept")(transfer_commands.transfer_accept)
case_commands.case_app.command("transfer-decline")(transfer_commands.transfer_decline)
case_commands.case_app.command("receipt")(transfer_commands.receipt)
case_commands.case_app.command("transfer-out")(transfer_commands.transfer_out)
case_commands.case_app.command("identify")(provisional_commands.identify)
case_commands.case_app.command("xueji")(xueji_commands.xueji)
step_verbs.add_step_verbs(case_commands.case_app)
app.add_typer(case_commands.case_app, name="case")
app.command("cases")(case_commands.cases)
app.command("absence")(absence_commands.absence)
app.command("reporting")(reporting_commands.reporting)
app.command("recheck")(reporting_commands.recheck)
app.command("sessions")(reporting_commands.sessions)
app.command("report")(report_commands.report)
app.command("ledger")(report_commands.ledger)
app.command("dashboard")(dashboard_commands.dashboard)
app.command("escalations")(read_commands.escalations)
app.command("notifications")(read_commands.notifications)
app.command("notify")(notify_commands.notify)
app.command("audit")(read_commands.audit_)
app.command("import")(admin_commands.import_)
app.command("discover")(admin_commands.discover_)
app.command("verify")(admin_commands.verify)
app.add_typer(identity_commands.officer_app, name="officer")
app.add_typer(admin_commands.campaign_app, name="campaign")
app.add_typer(supervision_commands.inspection_app, name="inspection")
app.add_typer(supervision_commands.accountability_app, name="accountability")
app.add_typer(school_commands.school_app, name="school")
app.add_typer(admin_commands.retention_app, name="retention")


def speak_the_reader_language(typer_app: typer.Typer) -> None:
    """Every command's help is its docstring, in Chinese; other languages from the catalogue."""
    for command in typer_app.registered_commands:
        if command.callback is not None and command.callback.__doc__ and command.help is None:
            command.help = translate(inspect.cleandoc(command.callback.__doc__))
        command.options_metavar = _("[选项]")
    for group in typer_app.registered_groups:
        if group.typer_instance is None:
            continue
        group.typer_instance.info.options_metavar = _("[选项]")
        group.typer_instance.info.subcommand_metavar = _("命令 [参数]...")
        speak_the_reader_language(group.typer_instance)


speak_the_reader_language(app)

HOST_COMMANDS = "baoxue.host_commands"
"""The entry-point group through which the host's commands join the executable."""


def client_command_names(typer_app: typer.Typer) -> set[str]:
    commands = {c.name or "" for c in typer_app.registered_commands}
    return commands | {g.name or "" for g in typer_app.registered_groups}


def add_host_commands(typer_app: typer.Typer, argv: list[str]) -> None:
    """The host's commands, when the command typed is not one of the client's (the metadata scan
    costs ~40 ms, which an officer's step does not pay); `roster` has one host command, `check`."""
    from importlib.metadata import entry_points

    words = [arg for arg in argv if not arg.startswith("-")]
    client_names = client_command_names(typer_app) - {"roster"}
    if any(word in client_names for word in words[:3]):
        return
    for entry in entry_points(group=HOST_COMMANDS):
        entry.load()(typer_app)
    speak_the_reader_language(typer_app)


def run_cli() -> int:
    """Run a command and return its exit code: usage errors 2, a refusal its code, anything else 1.
    A failure is one line on stderr, in the reader's language."""
    import click

    if LANG is None:
        print(t("bad_setting", setting="BAOXUE_LANG", value=LANG_SETTING, expected="zh|en"), file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        add_host_commands(app, sys.argv[1:])
        command = typer.main.get_command(app)
        dress(command)
        click.Context.formatter_class = WideHelpFormatter
        done = command.main(prog_name="baoxue", standalone_mode=False)
        return done if isinstance(done, int) else 0
    except click.exceptions.NoArgsIsHelpError as shown:
        click.echo(shown.ctx.get_help())
        return 0
    except click.UsageError as error:
        where = error.ctx.command_path if error.ctx else "baoxue"
        print(t("usage_error", message=usage_text(error.format_message()), command=where), file=sys.stderr)
        return EXIT_BAD_INPUT
    except click.ClickException as error:
        print(one_line(error.format_message()), file=sys.stderr)
        return error.exit_code
    except click.Abort:
        return 130
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except Failure as error:
        print(one_line(error.message), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except UnicodeError:
        print(t("undecodable_input"), file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:
        print(t("unexpected", error=one_line(f"{type(error).__name__}: {error}")), file=sys.stderr)
        return EXIT_FAILED


def one_line(text: str) -> str:
    return " ".join(str(text).split())


_CLICK_TYPE_NAMES = {"integer range": "整数", "float range": "数字", "integer": "整数", "float": "数字"}


def usage_text(text: str) -> str:
    """click's usage error in one line: typer's English suggestion dropped (click offers its own,
    translated), type names in the reader's language, no doubled full stop."""
    text = re.sub(r"\.? Did you mean [^?]*\?", "", one_line(text))
    if LANG == "zh":
        for english, chinese in _CLICK_TYPE_NAMES.items():
            text = text.replace(english, chinese)
        text = text.replace("。.", "。").replace("'.", "'")
    return text


def main() -> None:
    code = run_cli()
    sys.stdout.flush()
    sys.stderr.flush()
    # `up`, `worker` and `serve` may hold Temporal clients whose Rust threads can abort interpreter
    # finalisation (sdk-python#300): everything is flushed by now, so leave without it.
    os._exit(code)
