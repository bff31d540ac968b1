"""What every command needs: settings, language, the roster, the database, output helpers."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from config.local_stack import StackNotRunningError, database_url
from config.logging import configure_logging
from config.roster_file import RosterError, load_roster
from config.settings import Settings, load_settings
from domain.roster import Roster, TownshipChain, UnknownTownshipError
from ledger.db import make_engine, make_sessionmaker
from starter.errors import BadInput, CliError
from starter.messages import set_lang, t

AsOption = Annotated[str | None, typer.Option("--as", help="Acting officer (BAOXUE_ACTOR)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]

_open_contexts: list[Context] = []


@dataclass
class Context:
    data_dir: Path | None = None
    actor_name: str | None = None
    _engine: Engine | None = field(default=None, repr=False)

    @cached_property
    def settings(self) -> Settings:
        settings = load_settings(data_dir=self.data_dir)
        set_lang(settings.lang)
        configure_logging(settings.log_format, "WARNING")
        return settings

    @cached_property
    def roster(self) -> Roster:
        try:
            return load_roster(self.settings.roster_file)
        except (OSError, RosterError) as exc:
            raise CliError(str(exc)) from exc

    def chain(self, township: str) -> TownshipChain:
        try:
            return self.roster.resolve(township)
        except UnknownTownshipError as exc:
            if exc.suggestions:
                raise BadInput(t("unknown_township", name=township, suggestions="、".join(exc.suggestions))) from exc
            raise BadInput(t("unknown_township_plain", name=township)) from exc

    def database_url(self) -> str:
        try:
            return database_url(self.settings)
        except StackNotRunningError as exc:
            raise CliError(t("stack_not_running", data_dir=exc.data_dir)) from exc

    @cached_property
    def sessions(self) -> sessionmaker:
        self._engine = make_engine(self.database_url(), pool_size=2)
        return make_sessionmaker(self._engine)

    def act_as(self, name: str | None) -> Context:
        """A command's own `--as` wins over the one given before the command and BAOXUE_ACTOR."""
        if name:
            self.actor_name = name
        return self

    def __post_init__(self) -> None:
        _open_contexts.append(self)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @staticmethod
    def close_all() -> None:
        for ctx in _open_contexts:
            ctx.close()


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()
