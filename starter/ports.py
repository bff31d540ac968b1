"""Checking and finding TCP ports on the loopback interface."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterable

LOOPBACK = "127.0.0.1"


def port_free(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


UNEPHEMERAL = (20000, 32000)
"""Below Linux's ephemeral range (32768–60999): an outgoing connection never takes such a port."""


def free_port(host: str = LOOPBACK, avoid: Iterable[int | None] = ()) -> int:
    """A free port that stays free until a server binds it, seconds later perhaps (`up` starts the
    API last): chosen below the ephemeral range, where no outgoing connection lands meanwhile,
    and none of `avoid` (ports already chosen for other servers but not bound yet)."""
    taken = {p for p in avoid if p}
    for _ in range(200):
        port = random.randint(*UNEPHEMERAL)
        if port not in taken and port_free(port, host):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = LOOPBACK, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
