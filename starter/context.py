"""What the server's work needs: settings, the roster, the database, a Temporal client, the keys.

Built once by whoever runs the server's work — `baoxue serve`, `bootstrap-admin`, a test — from
the settings it hands in, and passed on explicitly: the API's routes receive it through a FastAPI
dependency (`api.auth.context_of`), services as their first argument. It looks nothing up in the
environment and keeps no global list; each part is made on first use from the settings given.
The officer's client never builds one (docs/architecture.md, "The trust boundary").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from config.local_stack import StackNotRunningError, database_url
from config.roster_file import RosterError, load_roster
from config.settings import Settings
from domain.messages import t
from domain.roster import Roster, TownshipChain, UnknownTownshipError
from ledger.db import make_engine, make_sessionmaker
from ledger.officers import SEALER
from starter.errors import BadInput, CliError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from temporalio.client import Client

    from ledger.personal import PersonalDataCipher
    from starter.case_list import CaseListCache
    from starter.jobs import Jobs
    from starter.report_digests import DigestCache
    from starter.shipped_campaigns import ShippedCampaigns
    from starter.step_priority import RaisedCases


@dataclass
class Context:
    settings: Settings
    pool_size: int = 2
    _engine: Engine | None = field(default=None, repr=False)
    _client: Client | None = field(default=None, repr=False)
    _client_loop: object = field(default=None, repr=False)

    @cached_property
    def roster(self) -> Roster:
        try:
            return load_roster(self.settings.roster_file)
        except (OSError, RosterError) as exc:
            raise CliError(str(exc)) from exc

    def reload_roster(self) -> Roster:
        """The roster file read again (after an administrator changed it)."""
        self.__dict__.pop("roster", None)
        return self.roster

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
        self._engine = make_engine(self.database_url(), self.settings.database_timeouts, pool_size=self.pool_size)
        return make_sessionmaker(self._engine, info={SEALER: lambda text: self.cipher.seal(text)})

    @cached_property
    def case_list(self) -> CaseListCache:
        from starter.case_list import CaseListCache

        return CaseListCache()

    @cached_property
    def jobs(self) -> Jobs:
        from starter.jobs import Jobs

        return Jobs()

    @cached_property
    def raised_cases(self) -> RaisedCases:
        from starter.step_priority import RaisedCases

        return RaisedCases(idle_seconds=self.settings.step_priority_idle_seconds)

    @cached_property
    def shipped_campaigns(self) -> ShippedCampaigns:
        from starter.shipped_campaigns import ShippedCampaigns

        return ShippedCampaigns(self.settings.campaigns_dir)

    @cached_property
    def report_digests(self) -> DigestCache:
        from starter.report_digests import DigestCache

        return DigestCache()

    @cached_property
    def cipher(self) -> PersonalDataCipher:
        from config.secrets import load_data_keys
        from ledger.personal import PersonalDataCipher

        return PersonalDataCipher(load_data_keys(self.settings))

    @cached_property
    def service_key(self) -> Ed25519PrivateKey:
        from config.service_key import load_service_key

        return load_service_key(self.settings)

    @property
    def service_public_key(self) -> str:
        from domain.signing import public_key_of

        return public_key_of(self.service_key)

    async def temporal(self) -> Client:
        """One Temporal client for the event loop (connecting costs a round trip or two)."""
        import asyncio

        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            from config.temporal_client import connect_temporal

            self._client = await connect_temporal(self.settings)
            self._client_loop = loop
        return self._client

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
