"""Lines and JSON on standard output: what the client's commands and the host's commands both
print with. Standard library only."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def echo(text: str) -> None:
    sys.stdout.write(text + "\n")
