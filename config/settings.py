"""Process settings: environment (prefix BAOXUE_) over an optional baoxue.toml over defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from config import DEFAULT_CAMPAIGNS_DIR, DEFAULT_ROSTER_FILE
from domain.database_timeouts import DatabaseTimeouts

CONFIG_FILE_ENV = "BAOXUE_CONFIG_FILE"
DEFAULT_CONFIG_FILE = Path("baoxue.toml")


def config_file() -> Path:
    return Path(os.environ.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))


class Settings(BaseSettings):
    """The server's and the workers' settings: where Temporal and PostgreSQL are (unset: the local
    stack of `baoxue up`), the keys, the API's address. The officer's client reads only
    BAOXUE_SERVER, BAOXUE_PROFILE_DIR, BAOXUE_LANG and BAOXUE_ACTOR (see cli/)."""

    model_config = SettingsConfigDict(env_prefix="BAOXUE_", extra="ignore")

    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None
    temporal_api_key: SecretStr | None = None
    task_queue: str = "baoxue-cases"
    worker_activity_slots: int = Field(default=16, ge=1, le=256)
    """Activities one worker runs at once; its thread pool and database pool are sized to match."""
    worker_workflow_slots: int = Field(default=15, ge=1, le=256)
    """Workflow tasks one worker runs at once. Each one runs among all the others on the worker's
    one interpreter, so the more it takes on, the longer each takes: an officer's step, which
    Temporal now hands out first (`step_priority`), ran p95 0.9 s on the worker among a storm's
    100 wakes, 0.16–0.22 s among 20, 0.13 s among 10; through `bench mixed` a step's p95 was 1.76 s
    with 100, 0.46–0.55 s with 20 (five runs), 0.46 s with 10 (the storm under load 20 % longer
    than with 20) and 0.52 s with 15 (README, "Benchmarks"). Before step priority, when a step
    waited in the queue rather than on the worker, ten changed nothing."""
    worker_sticky_slots: int = Field(default=0, ge=0, le=255)
    """Of the workflow task slots, how many only the worker's sticky queue may take (an officer's
    step on a cached case), so that a storm of uncached cases' wakes never holds them all
    (workflows/task_slots.py); 0 (the default): any poll may take any slot, as the SDK does. 20
    did not bring a step's p95 through a full-size storm down (10.6 s, on a machine running
    slower that night) and cost a quiet step ~4 ms (README, "Benchmarks")."""
    step_priority: bool = True
    """Raise a case to Temporal priority 1 for an officer's steps, so a step's workflow task goes
    ahead of a deadline storm's queued wakes (starter/step_priority.py): through a full-size storm
    a step's p95 fell from 9.0 s to 1.6 s (README, "Benchmarks"). 0 sends steps at the case's
    priority."""
    step_priority_idle_seconds: float = Field(default=300.0, gt=0, le=86_400)
    """`baoxue serve` keeps a case raised while its officer works on it and puts it back after
    this long without a step (one history event and one call to Temporal a working session,
    not two a step)."""
    full_collection_seconds: float = Field(default=60.0, ge=0, le=3600)
    """The worker walks all its objects for cycles this often, not on CPython's schedule
    (config/collector.py), which through a storm stopped it ~450 ms every 8–10 s: a step's p95
    through `bench mixed` 637 → 524 ms, the quiet storm 254 → 200 s. An evicted case is freed
    at once all the same (workflows/eviction.py). 0: CPython's schedule."""
    worker_max_cached_workflows: int = Field(default=1000, ge=0)
    """Case workflows a worker keeps in memory between tasks; 0 replays each case's whole history
    on every task (slower, and how the tests prove the workflow replays deterministically)."""
    worker_sandbox: bool = False
    """Run workflows in Temporal's sandbox (slower; the tests always do, see workflows/registry.py)."""
    continue_after_events: int = Field(default=2000, ge=20)
    """History events of one run of a case before it continues as new (new cases take it)."""
    request_seconds: float = Field(default=20.0, ge=1.0, le=600.0)
    """How long an officer's request may take before the answer is that the ledger (or Temporal)
    is not answering; the administrator's whole-county work is exempt."""
    register_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1024 * 1024, le=2 * 1024**3)
    """The largest register file `import` takes (bytes): refused before it is read."""
    register_memory_bytes: int = Field(default=4 * 1024**3, ge=256 * 1024**2)
    """The memory (address space) the process that reads one register may take."""
    register_max_rows: int = Field(default=1_000_000, ge=1000)
    """Rows a register's sheet may reach (declared or read): refused before or as it is read."""
    register_max_columns: int = Field(default=256, ge=16, le=16384)
    register_seconds: float = Field(default=600.0, ge=10.0)
    """How long reading, checking and storing one register may take."""
    repeatable_steps_per_hour: int = Field(default=30, ge=1, le=10_000)
    """Notes, persuasion attempts and other repeatable steps one officer may record on one case
    in an hour (docs/security.md, "Limits"): a flood cannot bury a case's history."""
    database_url: SecretStr | None = None
    database_connect_seconds: float = Field(default=5.0, ge=1.0, le=120.0)
    """How long opening a connection to PostgreSQL may take before the caller gets its answer."""
    database_statement_seconds: float = Field(default=120.0, ge=0.0)
    """The longest one statement may run (PostgreSQL's `statement_timeout`; 0: no limit)."""
    database_pool_seconds: float = Field(default=10.0, ge=1.0, le=600.0)
    """How long a request waits for a free connection of its process's pool."""
    secret_key: SecretStr | None = None
    secret_key_file: Path | None = None
    service_key: SecretStr | None = None
    service_key_file: Path | None = None
    service_public_key: str | None = None
    """The service key's public half (base64; comma-separated during a rotation): what a worker
    that does not hold the service key trusts to seal a case's start."""
    profile_dir: Path | None = None
    temporal_ui_origins: list[str] = ["http://127.0.0.1:8233", "http://localhost:8233"]
    """The origins of Temporal's web UI whose pages may call the API's codec endpoint (JSON list)."""
    api_host: str = "127.0.0.1"
    api_port: int = 8765
    api_tls_cert: Path | None = None
    api_tls_key: Path | None = None
    codec_keys: SecretStr | None = None
    codec_key_file: Path | None = None
    data_dir: Path = Path(".baoxue")
    log_format: Literal["console", "json"] | None = None
    log_level: str = "INFO"
    lang: Literal["zh", "en"] = "zh"
    retention_days: int = 1095
    evidence_retention_days: int = 1825
    """Closed cases keep their evidence and record this long (inspections need them); `retention
    run` anonymises after the longer of the two."""
    temporal_retention_days: int = 30
    temporal_sqlite_pragmas: str = "journal_mode=wal,synchronous=normal"
    """`baoxue up`'s Temporal dev server: SQLite pragmas, comma-separated (empty: SQLite's own
    defaults). Write-ahead logging with NORMAL sync survives a killed process — only a power
    loss can take the last transactions — and lifts the dev server's throughput (bench/)."""
    roster_file: Path = DEFAULT_ROSTER_FILE
    campaigns_dir: Path = DEFAULT_CAMPAIGNS_DIR

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file())
        return (init_settings, env_settings, toml, file_secret_settings)

    @property
    def data_key_file(self) -> Path:
        return self.secret_key_file or self.data_dir / "secret.key"

    @property
    def database_timeouts(self) -> DatabaseTimeouts:
        return DatabaseTimeouts(
            connect_seconds=self.database_connect_seconds,
            statement_seconds=self.database_statement_seconds,
            pool_seconds=self.database_pool_seconds,
        )

    @property
    def uses_tls(self) -> bool:
        return bool(self.temporal_tls_cert or self.temporal_tls_ca or self.temporal_api_key)


def load_settings(**overrides: object) -> Settings:
    """Settings with explicit overrides (command-line options) winning over every source."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    # Overrides are the settings' own fields by name, typed where they are declared; the plugin
    # checks a call's keywords, not a dict's.
    return Settings(**clean)  # type: ignore[arg-type]
