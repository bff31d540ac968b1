"""Where a benchmark's CPU time went: each part of the stack's seconds on the processors over a
window, read from /proc (Linux). A part is a child of `baoxue up` with every process under it
(PostgreSQL's backends, say); a process's own time and that of the children it has reaped are
counted, so a backend that ended inside the window is not lost. `busy_s` is the whole machine's,
from /proc/stat, so what the stack's parts leave of it is the benchmark's own client and anything
else the machine ran."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

TICKS = os.sysconf("SC_CLK_TCK")
PARTS = ("worker", "temporal", "database", "api")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def tree_seconds(pid: int, tree: dict[int, list[int]]) -> float:
    """utime + stime + cutime + cstime (fields 14–17 of proc(5)) over the process and its descendants."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        fields = _stat_fields(current)
        if fields is not None:
            total += sum(int(fields[i]) for i in (11, 12, 13, 14))
        pending.extend(tree.get(current, ()))
    return total / TICKS


def machine_busy_seconds() -> float:
    """All processors' non-idle time since boot (idle and iowait left out)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICKS


def _pids(state: dict[str, Any]) -> dict[str, int]:
    return {part: state[part]["pid"] for part in PARTS if (state.get(part) or {}).get("pid")}


class CpuMeter:
    """`start()` then `stop()`: each part's processor seconds between, and the machine's."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.pids = _pids(state)
        self.began: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        tree = _children()
        seconds = {part: tree_seconds(pid, tree) for part, pid in self.pids.items()}
        seconds["bench"] = tree_seconds(os.getpid(), {})
        seconds["busy"] = machine_busy_seconds()
        return seconds

    def start(self) -> None:
        self.began = self._read()

    def stop(self, wall_s: float) -> dict[str, float]:
        ended = self._read()
        used = {f"{part}_s": round(ended[part] - self.began[part], 1) for part in ended}
        used["wall_s"] = round(wall_s, 1)
        used["cores"] = float(os.cpu_count() or 1)
        return used
