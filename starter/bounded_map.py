"""A map that keeps its newest entries: the server's kept case lines and report digests."""

from __future__ import annotations

from threading import Lock
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedMap(Generic[K, V]):
    """Entries past `limit` are dropped oldest first. Adding takes a lock (two requests may add
    at once); reading needs none, a dict lookup being atomic. The keys carry what makes an entry
    true (a case's last sequence number), so an entry is never stale, only dropped."""

    def __init__(self, limit: int) -> None:
        self._kept: dict[K, V] = {}
        self._limit = limit
        self._lock = Lock()

    def get(self, key: K, default: V | None = None) -> V | None:
        return self._kept.get(key, default)

    def add(self, entries: dict[K, V]) -> None:
        with self._lock:
            kept = self._kept
            kept.update(entries)
            while len(kept) > self._limit:
                del kept[next(iter(kept))]

    def discard(self, keys: list[K]) -> None:
        with self._lock:
            for key in keys:
                self._kept.pop(key, None)

    def __len__(self) -> int:
        return len(self._kept)
