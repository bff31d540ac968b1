"""Help pages that fit the terminal in Chinese: click's own layout (usage, description, a list of
options), measured in display columns — a Chinese character takes two — and wrapped between any
two Chinese characters or at spaces, never cutting a word with "…" and never starting a line with
closing punctuation (docs/architecture.md, "For the people who use it").

Neither help nor tables use rich any more (cli/output.py lays tables out the same way); click's
layout is plain text a reader can copy, grep and print."""

from __future__ import annotations

import re
from collections.abc import Iterable
from gettext import gettext

import click

from domain.layout import display_width, is_wide, join_lines, wrap


class WideHelpFormatter(click.HelpFormatter):
    """click's help layout measured in display columns."""

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        for number, paragraph in enumerate(re.split(r"\n\s*\n", text.strip())):
            if number:
                self.write("\n")
            if paragraph.startswith("\b"):
                self.write("".join(f"{indent}{line}\n" for line in paragraph[1:].strip("\n").splitlines()))
                continue
            for line in wrap(paragraph, self.width - self.current_indent):
                self.write(f"{indent}{line}\n")

    def write_heading(self, heading: str) -> None:
        colon = "：" if is_wide(heading[-1:]) else ":"
        self.write(f"{'':>{self.current_indent}}{heading}{colon}\n")

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        head = f"{prefix if prefix is not None else gettext('Usage:') + ' '}{prog}"
        for number, line in enumerate(wrap(f"{head} {args}".rstrip(), self.width - self.current_indent)):
            self.write(f"{' ' * (self.current_indent + (4 if number else 0))}{line}\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((display_width(first) for first, _ in rows), default=0), col_max) + col_spacing
        text_width = max(self.width - self.current_indent - first_col, 20)
        for first, second in rows:
            self.write(" " * self.current_indent + first)
            lines = [line for paragraph in second.split("\n\n") for line in wrap(paragraph, text_width)]
            if not lines:
                self.write("\n")
                continue
            if display_width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(" " * (first_col + self.current_indent) + line + "\n")


def short_help(text: str) -> str:
    """A command's line in its group's list: the first sentence of its description, whole."""
    first = join_lines(text.strip().split("\n\n")[0].splitlines())
    for stop in ("。", ". "):
        if stop in first:
            return first[: first.index(stop) + len(stop.strip())]
    return first


def dress(command: click.Command) -> None:
    """Plain help pages for the whole tree: no rich panels, every command listed whole."""
    if hasattr(command, "rich_markup_mode"):
        command.rich_markup_mode = None
    if command.help and not command.short_help:
        command.short_help = short_help(command.help)
    for child in getattr(command, "commands", {}).values():
        dress(child)
