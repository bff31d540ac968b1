"""`baoxue up` as a subprocess on free ports, and the CLI run against it as a user would."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from starter.ports import free_port

BAOXUE = str(Path(sys.executable).parent / "baoxue")


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def assert_fits_80_columns(args: tuple[str, ...], stdout: str) -> None:
    """What a person reads at 80 columns: no line wider, none starting with closing punctuation,
    no time split from its +08:00. Every CLI run of every stack test is held to it. A line may be
    longer only for a path or an address, which is printed whole to be copied."""
    from domain.layout import CLOSING, display_width

    for line in stdout.splitlines():
        a_path = any("/" in word and display_width(word) > 40 for word in line.split())
        assert display_width(line) <= 80 or a_path, (args, stdout)
        assert not (line.strip() and line.strip()[0] in CLOSING), (args, stdout)
        assert not line.strip().startswith("+08:00"), (args, line)


@dataclass
class RunningStack:
    data_dir: Path
    proc: subprocess.Popen[str]
    port: int
    env: dict[str, str]

    def baoxue(
        self,
        *args: str,
        actor: str | None = None,
        extra_env: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 60,
        stdin: str | None = None,
    ) -> CliResult:
        """The CLI as a user runs it: by default on the machine that ran `up --demo` (its profile
        holds admin and every person of the roster); `env` runs it on another machine."""
        run_env = dict(env if env is not None else self.env)
        if actor:
            run_env["BAOXUE_ACTOR"] = actor
        run_env.setdefault("COLUMNS", "80")
        run_env.update(extra_env or {})
        done = subprocess.run(
            [BAOXUE, *args],
            capture_output=True,
            text=True,
            env=run_env,
            timeout=timeout,
            input=stdin or "",
            cwd=self.data_dir.parent,
        )
        if run_env["COLUMNS"] == "80" and not {"--json", "--wide", "--format"} & set(args):
            assert_fits_80_columns(args, done.stdout)
        return CliResult(done.returncode, done.stdout, done.stderr)

    def on_terminal_until(self, *args: str, seen: str, timeout: float = 120) -> tuple[str, int]:
        """The CLI with its standard output a terminal (80 columns): read until `seen` shows, then
        interrupted as Ctrl-C does. What it drew and its exit code."""
        import pty
        import select

        leader, follower = pty.openpty()
        run_env = {**self.env, "COLUMNS": "80"}
        proc = subprocess.Popen(
            [BAOXUE, *args], stdout=follower, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=run_env,
            cwd=self.data_dir.parent,
        )  # fmt: skip
        os.close(follower)
        drawn = b""
        deadline = time.monotonic() + timeout
        while seen.encode() not in drawn and time.monotonic() < deadline:
            ready, _w, _x = select.select([leader], [], [], 0.2)
            try:
                chunk = os.read(leader, 65536) if ready else b""
            except OSError:  # the terminal's other end closed: the command ended
                break
            if ready and not chunk:
                break
            drawn += chunk
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
        with contextlib.suppress(OSError):
            while select.select([leader], [], [], 0.2)[0]:
                drawn += os.read(leader, 65536)
        os.close(leader)
        return drawn.decode(errors="replace"), code

    def add_here(self, name: str, role: str, *extra: str) -> None:
        """The admin registers an officer and, as `up --demo` allows, signs them in on this machine."""
        added = self.baoxue("officer", "add", "--name", name, "--role", role, "--here", *extra)
        assert added.code == 0, added.stderr

    def api_url(self) -> str:
        return self.state()["api"]["url"]

    def enrol_elsewhere(
        self, profile_dir: Path, *, name: str, role: str, township: str | None = None
    ) -> dict[str, str]:
        """An officer added by the admin, then signed in from another machine: a profile of their
        own and the server's URL, no data dir. Returns that machine's environment."""
        args = ["officer", "add", "--name", name, "--role", role, "--json"]
        added = self.baoxue(*args, *(["--township", township] if township else []))
        assert added.code == 0, added.stderr
        env = {k: v for k, v in os.environ.items() if not k.startswith("BAOXUE_")}
        env.update(BAOXUE_PROFILE_DIR=str(profile_dir), BAOXUE_CONFIG_FILE="/nonexistent/baoxue.toml")
        login = ["login", "--server", self.api_url(), "--code", added.json()["code"]]
        done = subprocess.run([BAOXUE, *login], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        return env

    def owner_url(self) -> str:
        """The stack's database as its owner, with the owner's password (as the one who ran `up`)."""
        return self.role_url("postgres")

    def role_url(self, role: str) -> str:
        """The stack's database as `role`, with its password from the data dir."""
        from config.local_stack import read_password, url_as

        return url_as(self.state()["database"]["url"], role, read_password(self.data_dir, role))

    def state(self) -> dict[str, Any]:
        return json.loads((self.data_dir / "state.json").read_text(encoding="utf-8"))

    def descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []


def stack_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOXUE_")}
    env.update(
        BAOXUE_DATA_DIR=str(data_dir),
        BAOXUE_CONFIG_FILE="/nonexistent/baoxue.toml",
        BAOXUE_PROFILE_DIR=str(data_dir.parent / f"{data_dir.name}-profile"),
    )
    return env


def start_stack(
    data_dir: Path,
    port: int | None = None,
    *,
    workflow_cache: bool = False,
    settings: dict[str, str] | None = None,
    web_ui: bool = False,
) -> RunningStack:
    """`workflow_cache=False` (the tests' default) runs the worker with no sticky cache, so every
    workflow task replays the case's history from the start: the integration suite doubles as a
    determinism check. The fault tests keep the cache, as production does."""
    port = port or free_port()
    ui_port = free_port(avoid=(port,))
    api_port = free_port(avoid=(port, ui_port))
    env = stack_env(data_dir)
    if not workflow_cache:
        env["BAOXUE_WORKER_MAX_CACHED_WORKFLOWS"] = "0"
    env.update(settings or {})
    log = (data_dir.parent / f"{data_dir.name}-up.log").open("a")
    proc = subprocess.Popen(
        [
            BAOXUE,
            "up",
            "--demo",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--ui-port",
            str(ui_port),
            "--api-port",
            str(api_port),
            *(["--ui"] if web_ui else []),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    return RunningStack(data_dir, proc, port, env)


def wait_healthy(stack: RunningStack, seconds: float = 150) -> dict[str, Any]:
    result = stack.baoxue("status", "--wait", str(seconds), "--json", timeout=seconds + 30)
    return result.json()


def stop_stack(stack: RunningStack, timeout: float = 60) -> None:
    if stack.proc.poll() is None:
        stack.proc.send_signal(signal.SIGTERM)
        try:
            stack.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            for child in stack.descendants():
                with contextlib.suppress(psutil.Error):
                    child.kill()
            stack.proc.kill()
            raise


@contextlib.contextmanager
def running_stack(
    data_dir: Path, *, workflow_cache: bool = False, settings: dict[str, str] | None = None, web_ui: bool = False
) -> Iterator[RunningStack]:
    """`settings`: BAOXUE_ variables the stack's services start with; `web_ui`: `up --ui`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    stack = start_stack(data_dir, workflow_cache=workflow_cache, settings=settings, web_ui=web_ui)
    try:
        status = wait_healthy(stack)
        assert status["healthy"], status
        yield stack
    finally:
        stop_stack(stack)


def wait_until(predicate: Any, seconds: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())
