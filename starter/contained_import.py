"""A register is read, checked and stored in a process of its own, with a memory and a time limit:
a crafted or runaway file takes down that process, never the server (docs/security.md, "Limits").

The process is forked from a fork server started with the import's modules already loaded, so it
costs milliseconds, not an interpreter's start; it opens its own database connection and reads the
keys from the settings it is handed. It answers with the import's summary or the one refusal the
import made; a process killed by its limits is answered as a file too large to read."""

from __future__ import annotations

import multiprocessing
import resource
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from config.settings import Settings
from domain.campaign import CampaignSpec
from domain.failure import Failure
from domain.messages import current_lang, set_lang, t
from domain.registers import RegisterKind
from starter.discovery_service import ImportSummary
from starter.errors import BadInput, CliError
from starter.register_files import RegisterFileError

_FORK_SERVER = multiprocessing.get_context("forkserver")
_FORK_SERVER.set_forkserver_preload(["starter.discovery_service", "starter.context", "python_calamine", "numpy"])


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


def contained_import(job_settings: Settings, **job: Any) -> ImportSummary:
    """Run `import_register` in a child process within the settings' memory and time limits."""
    work = ImportJob(settings=job_settings, lang=current_lang(), **job)
    receiver, sender = _FORK_SERVER.Pipe(duplex=False)
    child = _FORK_SERVER.Process(target=_run, args=(work, sender), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(job_settings.register_seconds):
            raise RegisterFileError("too_slow", f"{work.path.name}: not read within {job_settings.register_seconds} s")
        try:
            outcome, value = receiver.recv()
        except EOFError:
            raise RegisterFileError("too_large", f"{work.path.name}: its reading ran out of memory") from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    if outcome == "done":
        return value
    kind, code, detail, exit_code = value
    if kind == "file":
        raise RegisterFileError(code, detail)
    error = BadInput(detail) if exit_code == 2 else CliError(detail)
    error.code = code
    raise error


def _run(work: ImportJob, sender: Connection) -> None:
    """In the child: the limits first, then the import; what comes back is plain data."""
    from starter.context import Context
    from starter.discovery_service import import_register

    cap = work.settings.register_memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    set_lang("en" if work.lang == "en" else "zh")
    ctx = Context(work.settings, pool_size=1)
    try:
        summary = import_register(
            ctx,
            kind=work.kind,
            path=work.path,
            campaign=work.campaign,
            sheet=work.sheet,
            imported_by=work.imported_by,
            replace=work.replace,
        )
        sender.send(("done", summary))
    except RegisterFileError as error:
        sender.send(("refused", ("file", error.code, error.detail, 2)))
    except MemoryError:
        sender.send(("refused", ("file", "too_large", f"{work.path.name}: its reading ran out of memory", 2)))
    except Failure as failure:
        sender.send(("refused", ("failure", failure.code, failure.message, failure.exit_code)))
    except Exception as error:  # anything else: one line, as the server answers any failure
        sender.send(("refused", ("failure", None, t("unexpected", error=type(error).__name__), 1)))
    finally:
        sender.close()
        ctx.close()
