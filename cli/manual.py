"""The manual's command reference (docs/zh/命令参考.md), written from the commands themselves so it
cannot drift from them: every command of the client and of the host, its description, usage and
every option with its help. `python -m cli.manual` rewrites the file; a test holds it current."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import typer

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "zh" / "命令参考.md"
HEAD = """# baoxue 命令参考

本文件由 `python -m cli.manual` 根据命令本身生成，与 `baoxue … --help` 一致；请勿手工修改。
怎样在一次排查活动中使用这些命令，见[使用手册](../使用手册.md)。

每个命令都接受全局选项 `--as 姓名`（以本机档案中的哪个身份办理，也可用环境变量
BAOXUE_ACTOR）和 `--data-dir 目录`（本地服务的数据目录）：写在 `baoxue` 之后、命令之前，
例如 `baoxue --as 王老师 cases`。多数命令还接受 `--json`（输出 JSON，供程序读取）。

退出码：0 成功；1 失败（服务器出错、有未修复的差异、通知发送失败等）；2 输入有误（什么也没有改变）；
3 无权办理；4 找不到（案件、人员、作业）；5 未登录，或本机档案定不下是谁（同名的人请用 姓名@乡镇 指明）。
"""


def _commands(command: click.Command, path: list[str]) -> list[tuple[list[str], click.Command]]:
    if isinstance(command, click.Group):
        found: list[tuple[list[str], click.Command]] = [(path, command)] if path else []
        for name, child in command.commands.items():
            found += _commands(child, [*path, name])
        return found
    return [(path, command)]


def _option_line(ctx: click.Context, param: click.Parameter) -> str | None:
    record = param.get_help_record(ctx)
    if record is None:
        return None
    name, text = record
    return f"- `{name}`" + (f"：{' '.join(text.split())}" if text else "")


def render(root: click.Command) -> str:
    parts = [HEAD]
    for path, command in _commands(root, []):
        if path == ["help"]:
            continue
        ctx = click.Context(command, info_name=" ".join(["baoxue", *path]))
        parts.append(f"\n## `baoxue {' '.join(path)}`\n")
        if command.help:
            parts.append("\n".join(line.strip() for line in command.help.strip().splitlines()) + "\n")
        if isinstance(command, click.Group):
            listed = "、".join(f"`{name}`" for name in command.commands)
            parts.append(f"\n子命令：{listed}。\n")
            continue
        usage = " ".join(command.collect_usage_pieces(ctx))
        parts.append(f"\n用法：`baoxue {' '.join(path)} {usage}`\n")
        lines = [line for param in command.params if (line := _option_line(ctx, param)) and "--help" not in line]
        if lines:
            parts.append("\n" + "\n".join(lines) + "\n")
    return "".join(parts)


def full_command() -> click.Command:
    """The client's commands and the host's, as `baoxue` on a server host has them."""
    from cli.help_format import dress
    from cli.main import add_host_commands, app

    add_host_commands(app, ["up"])
    command = typer.main.get_command(app)
    dress(command)
    return command


if __name__ == "__main__":
    text = render(full_command())
    if "--check" in sys.argv:
        raise SystemExit(0 if REFERENCE.read_text(encoding="utf-8") == text else 1)
    REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    REFERENCE.write_text(text, encoding="utf-8")
    print(REFERENCE)
