"""A register is read, checked and stored in a process of its own, with a memory and a time limit:
a crafted or runaway file takes down that process, never the server (docs/security.md, "Limits").

The process is started once, from a fork server that has the import's modules loaded, and kept
for the next import (its connection, its compiled statements and its imports stay warm); imports
go to it one at a time. Its address space is capped for its whole life. It answers each import
with the summary or the one refusal the import made; a process that dies on a file (its memory
ran out) or overruns the time limit is answered as that file's refusal, and the next import starts
a fresh one."""

from __future__ import annotations

import multiprocessing
import os
import resource
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from config.settings import Settings
from domain.campaign import CampaignSpec
from domain.failure import Failure
from domain.messages import current_lang, set_lang, t
from domain.register_scopes import COUNTY, FileScope
from domain.registers import RegisterKind
from starter.discovery_service import ImportSummary, Progress
from starter.errors import BadInput, CliError
from starter.register_files import RegisterFileError

_FORK_SERVER = multiprocessing.get_context("forkserver")
_FORK_SERVER.set_forkserver_preload(
    [
        "starter.discovery_service",
        "starter.context",
        "config.secrets",
        "ledger.personal",
        "sqlalchemy.dialects.postgresql.psycopg",
        "python_calamine",
        "numpy",
    ]
)

OUT_OF_MEMORY = "out_of_memory"
"""The refusal of a file whose reading met the memory cap: the process that read it ends."""


@dataclass(frozen=True)
class ImportJob:
    settings: Settings
    kind: RegisterKind
    path: Path
    campaign: CampaignSpec
    sheet: str | None
    imported_by: str | None
    replace: bool
    lang: str
    scope: FileScope = COUNTY


class RegisterReader:
    """The one child process that imports registers, and the lock that takes them in turn."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: BaseProcess | None = None
        self._conn: Connection | None = None
        self._memory = 0

    def _started(self, memory: int) -> Connection:
        if self._child is not None and self._child.is_alive() and self._memory == memory and self._conn is not None:
            return self._conn
        self._stop()
        parent_end, child_end = _FORK_SERVER.Pipe()
        self._child = _FORK_SERVER.Process(target=_serve, args=(child_end, memory), daemon=True)
        self._child.start()
        child_end.close()
        self._conn, self._memory = parent_end, memory
        return parent_end

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._child is not None:
            if self._child.is_alive():
                self._child.kill()
            self._child.join(5)
        self._child, self._conn = None, None

    def run(self, work: ImportJob, progress: Progress | None = None) -> tuple[str, Any]:
        """The import's answer; on the way, its progress messages (rows checked of rows read)."""
        settings = work.settings
        with self._lock:
            conn = self._started(settings.register_memory_bytes)
            conn.send(work)
            deadline = time.monotonic() + settings.register_seconds
            while True:
                if not conn.poll(max(0.0, deadline - time.monotonic())):
                    self._stop()
                    return "refused", (
                        "file",
                        "too_slow",
                        f"{work.path.name}: not read within {settings.register_seconds:.0f} s",
                        2,
                    )
                try:
                    answer: tuple[Any, ...] = conn.recv()
                except (EOFError, OSError):
                    self._stop()
                    return "refused", ("file", OUT_OF_MEMORY, f"{work.path.name}: its reading ran out of memory", 2)
                if answer[0] != "progress":
                    break
                if progress is not None:
                    progress(answer[1], answer[2])
            if answer[0] == "refused" and answer[1][1] == OUT_OF_MEMORY:
                self._stop()
            return answer[0], answer[1]


_READER = RegisterReader()


def contained_import(job_settings: Settings, progress: Progress | None = None, **job: Any) -> ImportSummary:
    """Run `import_register` in the reader process, within the settings' memory and time limits."""
    outcome, value = _READER.run(ImportJob(settings=job_settings, lang=current_lang(), **job), progress)
    if outcome == "done":
        return value
    kind, code, detail, exit_code = value
    if kind == "file":
        raise RegisterFileError(code, detail)
    error = BadInput(detail) if exit_code == 2 else CliError(detail)
    error.code = code
    raise error


def _serve(conn: Connection, memory: int) -> None:
    """In the child: the memory cap for its life, then one import after another."""
    from starter.context import Context

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    contexts: dict[str, Context] = {}
    while True:
        try:
            work: ImportJob = conn.recv()
        except EOFError:
            return
        database = work.settings.database_url.get_secret_value() if work.settings.database_url else ""
        key = work.settings.model_dump_json() + database
        ctx = contexts.get(key) or contexts.setdefault(key, Context(work.settings, pool_size=1))
        leftovers: list[object] = []
        answer = _one(ctx, work, lambda done, total: conn.send(("progress", done, total)), leftovers)
        conn.send(answer)
        leftovers.clear()
        if answer[0] == "refused" and answer[1][1] == OUT_OF_MEMORY:
            os._exit(0)  # a process that met its memory cap is not trusted with the next file


def _one(ctx: Any, work: ImportJob, progress: Progress, leftovers: list[object]) -> tuple[str, Any]:
    """One import, answered as plain data (exceptions do not cross processes whole); its rows
    are left in `leftovers`, freed after the answer is sent."""
    from starter.discovery_service import import_register

    set_lang("en" if work.lang == "en" else "zh")
    try:
        summary = import_register(
            ctx,
            kind=work.kind,
            path=work.path,
            campaign=work.campaign,
            sheet=work.sheet,
            imported_by=work.imported_by,
            replace=work.replace,
            scope=work.scope,
            progress=progress,
            leftovers=leftovers,
        )
        return "done", summary
    except RegisterFileError as error:
        return "refused", ("file", error.code, error.detail, 2)
    except MemoryError:
        return "refused", ("file", OUT_OF_MEMORY, f"{work.path.name}: its reading ran out of memory", 2)
    except Failure as failure:
        return "refused", ("failure", failure.code, failure.message, failure.exit_code)
    except Exception as error:  # anything else: one line, as the server answers any failure
        return "refused", ("failure", None, t("unexpected", error=type(error).__name__), 1)
