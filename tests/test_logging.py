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


def test_id_numbers_that_slip_into_logs_are_masked() -> None:
    from config.logging import mask_id_numbers

    event = {"event": "oops 500243201304050120 and ５００２４３２０１３０４０５０１２０", "n": 3}
    masked = mask_id_numbers(None, "info", event)
    assert "500243201304050120" not in masked["event"]
    assert "500243**********20" in masked["event"]
    assert "５００２４３" in masked["event"] and "２０１３０４０５" not in masked["event"]
    assert mask_id_numbers(None, "info", {"event": "x", "name": "王小明"})["name"] == "王**"
