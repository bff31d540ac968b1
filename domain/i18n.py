"""One catalogue for everything baoxue says (gettext, domain `baoxue`, in domain/locale/).

The source language is Chinese: a message is written in Chinese where it is used, wrapped in
`_()` (translated at once) or `N_()` (marked for the catalogue, translated where it is shown).
`en/LC_MESSAGES/baoxue.po` holds the English. The libraries under the client (click, typer) speak
English through the same global gettext domain; `zh/LC_MESSAGES/baoxue.po` turns their usage
errors and help labels into Chinese. `python -m tests.support.catalogue` extracts, merges and
compiles; a test fails when a message has no translation or the compiled files are stale.

Standard library only: the officer's client imports this on every command.
"""

from __future__ import annotations

import gettext
import os
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DOMAIN = "baoxue"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

# Per request on the server (each request carries its reader's language), per process in a command.
_lang: ContextVar[Lang] = ContextVar("baoxue_lang", default="zh")


def current_lang() -> Lang:
    return _lang.get()


def set_lang(lang: Lang) -> None:
    _lang.set(lang)


def lang_from(value: str | None) -> Lang | None:
    """`zh`, `en` (also `zh_CN.UTF-8`, `en-US`); None for anything else."""
    text = (value or "zh").strip().lower().replace("-", "_")
    head = text.split("_", 1)[0].split(".", 1)[0]
    return head if head in LANGS else None


@lru_cache(maxsize=4)
def _catalogue(lang: Lang) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def translate(text: str, lang: Lang | None = None) -> str:
    """`text` (Chinese) in `lang` (default: the current language)."""
    chosen = lang or _lang.get()
    return text if chosen == "zh" or not text else _catalogue(chosen).gettext(text)


def _(text: str) -> str:
    return translate(text)


def N_(text: str) -> str:
    """Marks a message for the catalogue; it is translated where it is shown."""
    return text


def speak_to_libraries(lang: Lang) -> None:
    """click's and typer's own words (usage errors, help labels) in `lang`: they look up the
    global gettext domain with the language of the environment. Call before importing typer."""
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = lang
