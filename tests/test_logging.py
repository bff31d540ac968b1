from __future__ import annotations

import json
import subprocess
import sys


def test_json_logs_when_not_a_terminal() -> None:
    code = (
        "import structlog; from config.logging import configure_logging; configure_logging(None);"
        "configure_logging('console');"  # a second call changes nothing: configured once per process
        "structlog.get_logger('t').info('hello', n=1)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert line["event"] == "hello" and line["n"] == 1 and line["level"] == "info"
