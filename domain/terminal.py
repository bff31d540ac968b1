"""Lines and JSON on standard output: what the client's commands and the host's commands both
print with. Nothing stored is printed raw: control characters are shown escaped. Standard
library only."""

from __future__ import annotations

import json
import sys
from typing import Any

from domain.text import visible


def print_json(value: Any) -> None:
    sys.stdout.write(visible(json.dumps(value, ensure_ascii=False, indent=2, default=str)) + "\n")
    sys.stdout.flush()


def echo(text: str) -> None:
    sys.stdout.write(visible(text) + "\n")
