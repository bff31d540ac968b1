"""Many cases driven through every stage by concurrent clients while the worker is SIGKILLed and
the Temporal server restarted: every step lands exactly once, a retried step is recognised as
already done, and `verify` is clean afterwards (docs/architecture.md, "The case").

`FAULT_DRIVE_CASES` sets how many (default 80, within CI's budget; the closing figure for
2,000 is in the issue's note and was run with this same test)."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest

from cli.case_commands import signed_step
from cli.errors import EXIT_FAILED, ClientError
from cli.http import Server
from domain.id_number import make_id_number
from domain.profile import Profile
from tests.support.stack import RunningStack, running_stack, wait_healthy, wait_until
from tests.test_faults import kill

pytestmark = pytest.mark.stack

OFFICER = "梅子垭并发测试员"
REVIEWER = "汪贤梁"
CASES = int(os.environ.get("FAULT_DRIVE_CASES", "80"))
TARGET = (dt.date.today() + dt.timedelta(days=60)).isoformat()
STEPS: list[tuple[str, str, dict[str, Any]]] = [
    (OFFICER, "visit", {"finding": "confirmed", "dropout_cause": "厌学", "note": "入户走访"}),
    (
        OFFICER,
        "plan",
        {
            "target_date": TARGET,
            "placement": "original_school",
            "measures": ["每周家访"],
            "responsible": [{"name": "李老师", "role": "班主任"}],
        },
    ),
    (OFFICER, "note", {"text": "家长同意返校"}),
    (OFFICER, "confirm", {"evidence": ["返校照片-1"], "school": "梅子垭镇中心校"}),
    (REVIEWER, "close", {"note": "同意销号"}),
]
RETRY_FOR_SECONDS = 240


class Client:
    """One officer's client on one thread: its own connection, retrying what failed (exit 1) as an
    officer would, and counting what the server said."""

    def __init__(self, url: str, actor: str) -> None:
        self.server = Server(url, Profile().choose(actor, url))
        self.retried = 0
        self.already = 0

    def call(self, method: str, path: str, body: Any = None) -> Any:
        deadline = time.monotonic() + RETRY_FOR_SECONDS
        while True:
            try:
                return self.server.request(method, path, body=body)
            except ClientError as error:
                if error.exit_code != EXIT_FAILED or time.monotonic() > deadline:
                    raise
                self.retried += 1
                time.sleep(1)

    def step(self, case_no: str, name: str, fields: dict[str, Any]) -> None:
        deadline = time.monotonic() + RETRY_FOR_SECONDS
        while True:
            where = self.call("GET", f"/api/cases/{case_no}/step")
            body = signed_step(self.server, where["case_id"], name, where["last_seq"], fields)
            try:
                answer = self.call("POST", f"/api/cases/{case_no}/steps/{name}", body)
            except ClientError as error:
                if error.code == "stale_step" and time.monotonic() < deadline:
                    continue
                raise AssertionError(f"{case_no} {name}: exit {error.exit_code} {error.code} {error.message}") from None
            self.already += bool(answer.get("already_recorded"))
            return


def drive(url: str, numbers: list[str], clients: dict[tuple[str, int], Client]) -> None:
    thread = threading.get_ident() % 1_000_003
    for case_no in numbers:
        for actor, name, fields in STEPS:
            client = clients.setdefault((actor, thread), Client(url, actor))
            client.step(case_no, name, fields)


def open_cases(stack: RunningStack, count: int) -> list[str]:
    client = Client(stack.api_url(), OFFICER)
    numbers = []
    for n in range(count):
        child = make_id_number("500243", dt.date(2012, 1, 1) + dt.timedelta(days=n // 900), 100 + n % 900)
        body = {"kind": "dropout", "id_number": child, "name": f"并发{n}", "township": "梅子垭镇"}
        numbers.append(client.call("POST", "/api/cases", body)["case_no"])
    return numbers


@pytest.mark.timeout(300 + CASES)
def test_cases_driven_through_every_stage_by_concurrent_clients(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_stack(tmp_path / "data", workflow_cache=True) as stack:
        stack.add_here(OFFICER, "case_officer", "--township", "梅子垭镇")
        monkeypatch.setenv("BAOXUE_PROFILE_DIR", stack.env["BAOXUE_PROFILE_DIR"])
        numbers = open_cases(stack, CASES)
        assert len(set(numbers)) == CASES
        url = stack.api_url()
        clients: dict[tuple[str, int], Client] = {}
        with ThreadPoolExecutor(8) as pool:
            started = time.monotonic()
            work = [pool.submit(drive, url, numbers[i::8], clients) for i in range(8)]
            time.sleep(3)
            kill(stack, "worker")
            time.sleep(5)
            kill(stack, "temporal")
            assert wait_healthy(stack, 90)["healthy"]
            kill(stack, "worker")
            for done in work:
                done.result()
            took = time.monotonic() - started
        print(f"{CASES} cases × {len(STEPS)} steps in {took:.1f} s;", end=" ")
        print(f"{sum(c.retried for c in clients.values())} retries,", end=" ")
        print(f"{sum(c.already for c in clients.values())} recognised as already done")

        assert wait_until(lambda: stack.baoxue("verify", timeout=300).code == 0, 120, step=5), stack.baoxue(
            "verify", "--json", timeout=300
        ).stdout
        with psycopg.connect(stack.owner_url()) as conn:
            per_type = dict(
                conn.execute(
                    "SELECT type, count(*) FROM case_events"
                    " WHERE type IN ('opened','visited','planned','noted','confirmed','closed') GROUP BY type"
                ).fetchall()
            )
            stages = dict(conn.execute("SELECT stage, count(*) FROM cases GROUP BY stage").fetchall())
            twice = conn.execute(
                "SELECT case_id, event_seq, recipient FROM notifications"
                " GROUP BY case_id, event_seq, recipient HAVING count(*) > 1"
            ).fetchall()
            gaps = conn.execute(
                "SELECT case_id FROM case_events GROUP BY case_id HAVING max(seq) <> count(*)"
            ).fetchall()
        assert stages == {"closed": CASES}
        assert set(per_type.values()) == {CASES}, per_type
        assert twice == [] and gaps == []
