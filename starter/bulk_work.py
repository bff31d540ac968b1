"""Pausing Python's cyclic garbage collector while registers are read, stored or read back."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_running = 0


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """A 200,000-row register is over a million small lists and strings that all live until the
    work ends; the collector would walk them again and again while they are made and free
    nothing (in the server, whose heap is large, that was a tenth of an import, and half of
    decrypting a register's blocks). Reference counting still frees everything; the collector
    runs again when the last such work ends."""
    global _running
    with _lock:
        _running += 1
        gc.disable()
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                gc.enable()
