"""Long work the server does on its own while a client follows it (`discover --apply`): started by
one request, read by others, so a dropped connection or an interrupted client loses nothing and a
second request for the same work attaches to the one running (docs/architecture.md, "Long work").

Jobs live in the serving process: a server restart ends them, and the work they do is resumable
(opening a suspect twice opens one case)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from domain.beijing import beijing_iso
from domain.failure import EXIT_FAILED, Failure
from domain.messages import t

KEPT_FINISHED = 50
"""Finished jobs kept for a client to read their result (the oldest forgotten first)."""


@dataclass
class Job:
    id: str
    key: tuple[object, ...]
    owner: int
    started_at: dt.datetime
    phase: str = "started"
    done: int = 0
    total: int = 0
    state: str = "running"
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    def progress(self, done: int, total: int) -> None:
        """Cases opened of the suspects found."""
        self.phase, self.done, self.total = "opening", done, total

    def reading(self, done: int, total: int) -> None:
        """Rows of a register checked of the rows read."""
        self.phase, self.done, self.total = "rows", done, total

    def shown(self) -> dict[str, Any]:
        elapsed = (dt.datetime.now(dt.UTC) - self.started_at).total_seconds()
        answer: dict[str, Any] = {
            "job": self.id,
            "state": self.state,
            "phase": self.phase,
            "done": self.done,
            "total": self.total,
            "started_at": beijing_iso(self.started_at),
            "elapsed_seconds": round(elapsed, 1),
        }
        if self.result is not None:
            answer["result"] = self.result
        if self.error is not None:
            answer["error"] = self.error
        return answer


Work = Callable[[Job], Awaitable[dict[str, Any]]]


class Jobs:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}

    def start(self, key: tuple[object, ...], owner: int, work: Work) -> Job:
        """The running job of this key (the same work asked again), else a new one."""
        for job in self._jobs.values():
            if job.key == key and job.state == "running":
                return job
        job = Job(id=uuid.uuid4().hex[:12], key=key, owner=owner, started_at=dt.datetime.now(dt.UTC))
        self._jobs[job.id] = job
        job.task = asyncio.get_running_loop().create_task(self._run(job, work))
        self._forget_old()
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    async def _run(self, job: Job, work: Work) -> None:
        try:
            job.result = await work(job)
            job.state = "done"
        except Failure as error:
            job.error = {"message": error.message, "exit": error.exit_code}
            job.state = "failed"
        except Exception as error:
            job.error = {"message": t("unexpected", error=f"{type(error).__name__}: {error}"), "exit": EXIT_FAILED}
            job.state = "failed"

    def _forget_old(self) -> None:
        finished = [job_id for job_id, job in self._jobs.items() if job.state != "running"]
        for job_id in finished[: max(0, len(finished) - KEPT_FINISHED)]:
            del self._jobs[job_id]
