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


def test_a_failed_delivery_is_logged_in_chinese_in_beijing_time_without_apprises_english() -> None:
    """The server's delivery lines: Chinese words, a +08:00 time, apprise's own warning kept off."""
    code = (
        "import logging; from config.logging import configure_logging; configure_logging('json');"
        "from activities.notify import apprise_send, log, short_error;"
        "ok, error = apprise_send(['json://127.0.0.1:9/x'], 't', 'b');"
        "log.warning('通知发送失败', 原因=short_error(error))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    lines = [json.loads(line) for line in done.stderr.strip().splitlines()]
    assert len(lines) == 1, done.stderr
    assert lines[0]["event"] == "通知发送失败" and lines[0]["原因"] == "无法连接对方服务器"
    assert lines[0]["timestamp"].endswith("+08:00")
