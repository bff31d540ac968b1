"""structlog, configured once per process: console on a terminal, JSON otherwise."""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, Literal

import structlog

from domain.beijing import BEIJING

_configured = False

_ID_NUMBER = re.compile(r"(?<![0-9０-９])([0-9０-９]{6})[0-9０-９]{8}([0-9０-９]{3}[0-9０-９XxＸｘ])(?![0-9０-９])")


_NAME_FIELDS = frozenset({"name", "child", "child_name", "student", "student_name", "姓名"})


def mask_id_numbers(_logger: object, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: any 18-character ID number that slips into a log line is masked,
    and so is a child's name logged under a name field."""
    for key, value in event.items():
        if key in _NAME_FIELDS and isinstance(value, str) and value:
            event[key] = value[0] + "*" * (len(value) - 1)
        elif isinstance(value, str) and len(value) >= 18:
            event[key] = _ID_NUMBER.sub(lambda m: m.group(1) + "*" * 10 + m.group(2)[-2:], value)
    return event


def beijing_timestamp(_logger: object, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Every log line's time in Beijing time with its `+08:00`, as people read every other time."""
    event["timestamp"] = dt.datetime.now(BEIJING).isoformat(timespec="milliseconds")
    return event


def configure_logging(fmt: Literal["console", "json"] | None = None, level: str = "INFO") -> None:
    global _configured
    if _configured:
        return
    if fmt is None:
        fmt = "console" if sys.stderr.isatty() else "json"
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        if fmt == "console"
        else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        beijing_timestamp,
        structlog.processors.format_exc_info,
        mask_id_numbers,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    logging.getLogger("apprise").propagate = False  # its English lines are kept on the outbox row
    root.setLevel(level.upper())
    _configured = True
