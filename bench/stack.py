"""A scratch local stack for benchmarks: `baoxue up --demo` on free ports in a folder of its own."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starter.ports import free_port

__all__ = ["BAOXUE", "BenchStack", "Sink", "bench_stack", "campaign_file", "free_port", "scratch_folder"]

BAOXUE = str(Path(sys.executable).parent / "baoxue")


@dataclass
class BenchStack:
    folder: Path
    env: dict[str, str]

    def baoxue(self, *args: str, actor: str | None = None, stdin: str = "", check: bool = True) -> Any:
        env = {**self.env, **({"BAOXUE_ACTOR": actor} if actor else {})}
        done = subprocess.run([BAOXUE, *args], env=env, input=stdin, capture_output=True, text=True, cwd=self.folder)
        if check and done.returncode != 0:
            raise SystemExit(f"baoxue {' '.join(args)} failed: {done.stderr.strip()}")
        return done

    def json(self, *args: str, actor: str | None = None, stdin: str = "") -> Any:
        return json.loads(self.baoxue(*args, "--json", actor=actor, stdin=stdin).stdout)

    def state(self) -> dict[str, Any]:
        return json.loads((self.folder / "data" / "state.json").read_text(encoding="utf-8"))

    def owner_url(self) -> str:
        """The stack's database as its owner, with the owner's password from the data dir."""
        from config.local_stack import OWNER, read_password, url_as

        return url_as(self.state()["database"]["url"], OWNER, read_password(self.folder / "data", OWNER))


@contextlib.contextmanager
def scratch_folder(keep: Path | None) -> Iterator[Path]:
    """`--keep DIR` (created if need be), else a temporary folder removed afterwards."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="baoxue-bench-") as folder:
        yield Path(folder)


ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("activities", "api", "cli", "config", "domain", "ledger", "starter", "workflows")


def compile_sources() -> None:
    """The project's modules compiled to bytecode, as pip compiles an installed package's. An
    editable checkout is run from its sources, and where PYTHONDONTWRITEBYTECODE is set (this
    machine sets it) every `baoxue` command would compile the client's modules again on each
    start (~70 ms here) — a cost no officer's installed client pays."""
    import compileall

    for package in PACKAGES:
        compileall.compile_dir(ROOT / package, quiet=1)


@contextlib.contextmanager
def bench_stack(folder: Path) -> Iterator[BenchStack]:
    compile_sources()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOXUE_")}
    tuned_settings = (
        "BAOXUE_TEMPORAL_SQLITE_PRAGMAS",
        "BAOXUE_WORKER_MAX_CACHED_WORKFLOWS",
        "BAOXUE_WORKER_WORKFLOW_SLOTS",
        "BAOXUE_WORKER_STICKY_SLOTS",
        "BAOXUE_STEP_PRIORITY",
        "BAOXUE_FULL_COLLECTION_SECONDS",
    )
    for tuned in tuned_settings:  # measured with and without
        if tuned in os.environ:
            env[tuned] = os.environ[tuned]
    env.update(
        BAOXUE_DATA_DIR=str(folder / "data"),
        BAOXUE_PROFILE_DIR=str(folder / "profile"),
        BAOXUE_CONFIG_FILE="/nonexistent/baoxue.toml",
        # The benchmarks time one officer's note on one case, hundreds of times: the hourly
        # allowance of repeatable steps (a policy, docs/security.md "Limits") is lifted for them.
        BAOXUE_REPEATABLE_STEPS_PER_HOUR="10000",
    )
    port = free_port()
    ui_port = free_port(avoid=(port,))
    api_port = free_port(avoid=(port, ui_port))
    ports = ["--port", str(port), "--ui-port", str(ui_port), "--api-port", str(api_port)]
    log = (folder / "up.log").open("w")
    up = subprocess.Popen([BAOXUE, "up", "--demo", *ports], env=env, stdout=log, stderr=subprocess.STDOUT)
    stack = BenchStack(folder, env)
    try:
        status = stack.baoxue("status", "--wait", "150", "--json", check=False)
        if status.returncode != 0:
            raise SystemExit(f"the stack did not become healthy (see {folder / 'up.log'})")
        yield stack
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait(60)


class Sink(http.server.BaseHTTPRequestHandler):
    """apprise's `json://` posts land here; only their number matters."""

    received = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        kind = type(self)
        with kind.lock:
            kind.received += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        return


def campaign_file(folder: Path, name: str, *, deadline: str = "2027-06-05T00:00:00+08:00", extra: str = "") -> Path:
    """A campaign YAML for a benchmark: reference date 2026-09-01, working days unless `extra` says."""
    path = folder / f"{name}.yaml"
    calendar = "" if "calendar:" in extra else "calendar: workdays\n"
    path.write_text(
        f"name: {name}\nreference_date: 2026-09-01\nclearance_deadline: {deadline}\n{calendar}{extra}",
        encoding="utf-8",
    )
    return path
