"""The message catalogue: extract, merge, compile, check (domain/i18n.py says what it holds).

    python -m tests.support.catalogue          # extract new messages into en's .po, compile both
    python -m tests.support.catalogue --check  # what is missing or stale (the test runs this)

A new message appears in `domain/locale/en/LC_MESSAGES/baoxue.po` with an empty translation;
write the English there and run this again. The `zh` catalogue translates the English of click
and typer (usage errors, help labels) and is kept by hand.
"""

from __future__ import annotations

import datetime as dt
import inspect
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "domain" / "locale"
SOURCES = ("api", "cli", "config", "domain", "starter", "activities", "workflows", "ledger")
KEYWORDS = {"_": None, "N_": None}
FIXED_DATE = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
"""Headers carry no clock: the same messages compile to the same bytes."""


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "baoxue.po"


def command_docstrings() -> Iterator[str]:
    """Every command's docstring, the host's commands too: typer shows it as the command's help."""
    from cli.main import add_host_commands, app

    add_host_commands(app, [])

    def walk(typer_app: object) -> Iterator[str]:
        for command in typer_app.registered_commands:  # type: ignore[attr-defined]
            if command.callback is not None and command.callback.__doc__:
                yield inspect.cleandoc(command.callback.__doc__)
        for group in typer_app.registered_groups:  # type: ignore[attr-defined]
            yield from walk(group.typer_instance)

    yield from walk(app)


def source_messages() -> dict[str, str]:
    """msgid → where it was first seen."""
    found: dict[str, str] = {}
    for package in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if isinstance(message, str) and message and not message.isascii():
                found.setdefault(message, f"{package}/{filename}:{lineno}")
    for doc in command_docstrings():
        found.setdefault(doc, "cli (command help)")
    return found


def read(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain="baoxue")
    with path.open("rb") as handle:
        return read_po(handle, locale=lang, domain="baoxue")


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def problems() -> list[str]:
    """Messages without an English translation; compiled files out of date."""
    found = []
    english = read("en")
    for msgid, where in source_messages().items():
        message = english.get(msgid)
        if message is None or not message.string:
            found.append(f"no English for {msgid!r} ({where})")
    for lang in ("en", "zh"):
        mo = po_path(lang).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled(read(lang)):
            found.append(f"{mo.relative_to(ROOT)} is stale: run python -m tests.support.catalogue")
    return found


def update() -> None:
    english = read("en")
    fresh = Catalog(
        locale="en",
        domain="baoxue",
        project="baoxue",
        fuzzy=False,
        header_comment="# baoxue's messages in English (the source language is Chinese: domain/i18n.py).",
        creation_date=FIXED_DATE,
        revision_date=FIXED_DATE,
    )
    for msgid, where in sorted(source_messages().items(), key=lambda item: item[1]):
        old = english.get(msgid)
        fresh.add(msgid, old.string if old else "", locations=[(where.rsplit(":", 1)[0], 0)])
    po_path("en").parent.mkdir(parents=True, exist_ok=True)
    with po_path("en").open("wb") as handle:
        write_po(handle, fresh, width=0, omit_header=False, sort_output=False)
    for lang in ("en", "zh"):
        po_path(lang).with_suffix(".mo").write_bytes(compiled(read(lang)))


if __name__ == "__main__":
    if "--check" in sys.argv:
        listed = problems()
        print("\n".join(listed) or "catalogue complete")
        raise SystemExit(1 if listed else 0)
    update()
    print("\n".join(problems()) or "catalogue complete")
