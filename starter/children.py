"""Child processes of `baoxue up`: started, watched, restarted when they die, stopped cleanly."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _die_with_parent(sig: int) -> None:
    """Ask the kernel to signal this child if `up` itself is killed, so nothing is orphaned."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)


@dataclass
class Child:
    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    stop_signal: int = signal.SIGTERM
    run_as: Callable[[], None] | None = None
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    _next_start: float = field(default=0.0, repr=False)

    def _preexec(self) -> None:
        if self.run_as is not None:
            self.run_as()
        _die_with_parent(self.stop_signal)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
                preexec_fn=self._preexec,
            )
        self.started_at = time.monotonic()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_code(self) -> int | None:
        return self.proc.poll() if self.proc else None

    def restart_due(self, now: float) -> bool:
        """After a death: back off 1, 2, 4 … 30 s between restarts; reset after a minute of health."""
        if self._next_start == 0.0:
            lived = now - self.started_at
            if lived > 60:
                self.restarts = 0
            delay = min(30.0, 2.0**self.restarts)
            self._next_start = now + delay
        return now >= self._next_start

    def restart(self) -> None:
        self.restarts += 1
        self._next_start = 0.0
        self.start()

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self._signal_group(self.stop_signal)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait(5)
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, sig: int) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)
