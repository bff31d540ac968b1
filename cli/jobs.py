"""Following a job the server runs (`discover --apply`): its progress drawn on one line of a
terminal (rows read, cases opened, rate, time left), nothing drawn when standard output is not a
terminal or with --json; interrupted, the client says the work goes on and how to see it again."""

from __future__ import annotations

import sys
from typing import Any

from cli.errors import ClientError
from cli.http import Server
from cli.output import terminal_width
from domain.layout import display_width
from domain.messages import t

POLL_SECONDS = 0.5
BAR = 20


def follow_job(server: Server, started: dict[str, Any], *, draw: bool) -> dict[str, Any]:
    """The job's result once it is done; its failure as the server's one line and exit code. Each
    poll waits on the server until the job ends or POLL_SECONDS pass: the end is seen at once."""
    state = started
    try:
        while state["state"] == "running":
            if draw:
                _draw(state)
            state = server.request("GET", f"/api/jobs/{state['job']}", query={"wait": POLL_SECONDS})
    except KeyboardInterrupt:
        if draw:
            sys.stdout.write("\n")
        print(t("job_detached", job=state["job"]), flush=True)
        raise
    if draw:
        sys.stdout.write("\r" + " " * (terminal_width() - 1) + "\r")
        sys.stdout.flush()
    if state["state"] == "failed":
        error = state.get("error") or {}
        raise ClientError(str(error.get("message", "")), int(error.get("exit", 1)))
    return dict(state["result"])


def progress_line(state: dict[str, Any]) -> str:
    done, total, elapsed = state["done"], state["total"], state["elapsed_seconds"]
    if state["phase"] not in ("opening", "rows") or not total:
        return t("job_reading", seconds=int(elapsed))
    filled = BAR * done // total
    what = t("job_opening") if state["phase"] == "opening" else t("job_rows")
    line = f"{what} {done}/{total} ▕{'█' * filled}{' ' * (BAR - filled)}▏ {100 * done // total}%"
    if done and elapsed:
        rate = done / elapsed
        line += "  " + t("job_rate", rate=rate, left=int((total - done) / rate))
    return line


def _draw(state: dict[str, Any]) -> None:
    line = progress_line(state)
    room = terminal_width() - 1
    while display_width(line) > room:
        line = line[:-1]
    sys.stdout.write("\r" + line + " " * (room - display_width(line)))
    sys.stdout.flush()
