"""Faults on the real local stack: cases opened while the worker is SIGKILLed twice and the
Temporal server restarted once. Afterwards every suspect has exactly one case, every case exactly
one opening in the ledger, no reminder twice, and `verify` finds nothing (docs/architecture.md,
"The case")."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from bench.county import generate_county
from config import DEFAULT_ROSTER_FILE
from config.roster_file import load_roster
from tests.support.stack import BAOXUE, RunningStack, running_stack, wait_healthy, wait_until

pytestmark = pytest.mark.stack

COUNTY_OFFICER = "县教委故障测试员"


def kill(stack: RunningStack, service: str) -> None:
    """SIGKILL one of `up`'s children and wait until `up` has started it again."""
    old = stack.state()[service]["pid"]
    os.kill(old, signal.SIGKILL)
    assert wait_until(lambda: stack.state()[service]["pid"] not in (None, old), 30, step=0.2), service


def test_cases_opened_through_worker_kills_and_a_temporal_restart(tmp_path: Path) -> None:
    county = generate_county(
        tmp_path / "county",
        load_roster(DEFAULT_ROSTER_FILE),
        children=5400,
        reference_date=dt.date(2026, 9, 1),
        seed=11,
        aid_rule=True,
    )
    total = sum(county.expected.values())
    assert 250 <= total <= 400
    with running_stack(tmp_path / "data", workflow_cache=True) as stack:
        for kind, path in county.files.items():
            assert stack.baoxue("import", kind.value, str(path), "--campaign", "pengshui-2026").code == 0
        stack.add_here(COUNTY_OFFICER, "county")
        apply = [BAOXUE, "discover", "--campaign", "pengshui-2026", "--apply", "--json"]
        running = subprocess.Popen(apply, env=stack.env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(2)
        kill(stack, "worker")
        time.sleep(2)
        kill(stack, "temporal")
        assert wait_healthy(stack, 90)["healthy"]
        kill(stack, "worker")
        running.communicate(timeout=600)  # it may have failed mid-way: applying again finishes it

        def all_open() -> bool:
            again = stack.baoxue(*apply[1:], timeout=600)
            return again.code == 0 and again.json()["opened"] + again.json()["already_open"] == total

        assert wait_until(all_open, 300, step=5)
        listed = stack.baoxue("cases", "--campaign", "pengshui-2026", "--json", actor=COUNTY_OFFICER).json()
        assert len(listed) == total and len({c["case_no"] for c in listed}) == total
        assert wait_until(lambda: stack.baoxue("verify", timeout=300).code == 0, 120, step=5), stack.baoxue(
            "verify", "--json", timeout=300
        ).stdout
        with psycopg.connect(stack.owner_url()) as conn:
            openings = conn.execute(
                "SELECT count(*), count(DISTINCT case_id) FROM case_events WHERE type = 'opened'"
            ).fetchone()
            assert openings == (total, total)
            twice = conn.execute(
                "SELECT case_id, event_seq, recipient FROM notifications"
                " GROUP BY case_id, event_seq, recipient HAVING count(*) > 1"
            ).fetchall()
            assert twice == []
            gaps = conn.execute(
                "SELECT case_id FROM case_events GROUP BY case_id HAVING max(seq) <> count(*)"
            ).fetchall()
            assert gaps == []


def test_pending_timers_fire_once_across_a_temporal_restart(tmp_path: Path) -> None:
    """A drill case's ladder (every 8 s) with the Temporal server killed and restarted before its
    first rung: every rung fires exactly once, the ladder ends, the case is stalled."""
    from domain.id_number import make_id_number

    with running_stack(tmp_path / "data", workflow_cache=True) as stack:
        stack.add_here("梅子垭故障测试员", "case_officer", "--township", "梅子垭镇")
        child = make_id_number("500243", dt.date(2013, 3, 3), 404)
        opened = stack.baoxue(
            "case", "open", "--kind", "dropout", "--township", "梅子垭镇", "--campaign", "drill", "--json",
            actor="梅子垭故障测试员", stdin=f"{child}\n某某\n",
        )  # fmt: skip
        assert opened.code == 0, opened.stderr
        case_no = opened.json()["case_no"]
        kill(stack, "temporal")
        assert wait_healthy(stack, 90)["healthy"]

        def levels() -> list[int]:
            rows = stack.baoxue("escalations", "--json", actor="朱洪斌").json()
            return sorted(row["level"] for row in rows if row["case_no"] == case_no)

        assert wait_until(lambda: len(levels()) >= 8, 180, step=3), levels()
        time.sleep(10)
        assert levels() == [0, 1, 2, 2, 2, 2, 2, 2]
        shown = stack.baoxue("case", "show", case_no, "--json", actor="梅子垭故障测试员").json()
        assert shown["stalled"] is True


def test_the_ledger_catches_up_after_postgresql_was_down(tmp_path: Path) -> None:
    """PostgreSQL killed and kept down 25 s while a drill case's reminders fire: officers get one
    clear line meanwhile, projections retry, and afterwards every rung is in the ledger exactly
    once and `verify` is clean."""
    from domain.id_number import make_id_number

    with running_stack(tmp_path / "data", workflow_cache=True) as stack:
        officer = "梅子垭断库测试员"
        stack.add_here(officer, "case_officer", "--township", "梅子垭镇")
        child = make_id_number("500243", dt.date(2013, 3, 4), 405)
        opened = stack.baoxue(
            "case", "open", "--kind", "dropout", "--township", "梅子垭镇", "--campaign", "drill", "--json",
            actor=officer, stdin=f"{child}\n某某\n",
        )  # fmt: skip
        assert opened.code == 0, opened.stderr
        case_no = opened.json()["case_no"]
        os.kill(stack.proc.pid, signal.SIGSTOP)  # `up` may not restart it for now
        try:
            os.kill(stack.state()["database"]["pid"], signal.SIGKILL)
            time.sleep(2)
            down = stack.baoxue("case", "note", case_no, "库停了", actor=officer)
            assert down.code == 1 and len(down.stderr.strip().splitlines()) == 1, down.stderr
            time.sleep(23)
        finally:
            os.kill(stack.proc.pid, signal.SIGCONT)
        assert wait_healthy(stack, 90)["healthy"]

        def levels() -> list[int]:
            rows = stack.baoxue("escalations", "--json", actor="朱洪斌").json()
            return sorted(row["level"] for row in rows if row["case_no"] == case_no)

        assert wait_until(lambda: len(levels()) >= 8, 240, step=3), levels()
        time.sleep(10)
        assert levels() == [0, 1, 2, 2, 2, 2, 2, 2]
        assert wait_until(lambda: stack.baoxue("verify", case_no).code == 0, 60, step=3)
        assert stack.baoxue("case", "note", case_no, "库回来了", actor=officer).code == 0


def test_a_frozen_postgresql_never_freezes_the_api(tmp_path: Path) -> None:
    """PostgreSQL frozen (SIGSTOP, every process of the cluster) for 30 s while an officer steps
    and reads: `/api/health` answers every second and says the ledger is unavailable, each command
    ends within 20 s with one line, and after SIGCONT no step is lost or doubled and `verify` is
    clean."""
    import json
    import urllib.request

    import psutil

    from domain.id_number import make_id_number

    with running_stack(tmp_path / "data", workflow_cache=True) as stack:
        officer = "梅子垭冻库测试员"
        stack.add_here(officer, "case_officer", "--township", "梅子垭镇")
        child = make_id_number("500243", dt.date(2013, 3, 5), 406)
        opened = stack.baoxue(
            "case", "open", "--kind", "dropout", "--township", "梅子垭镇", "--json",
            actor=officer, stdin=f"{child}\n某某\n",
        )  # fmt: skip
        assert opened.code == 0, opened.stderr
        case_no = opened.json()["case_no"]
        health_url = stack.state()["api"]["url"] + "/api/health"
        cluster = psutil.Process(stack.state()["database"]["pid"])
        frozen = [cluster, *cluster.children(recursive=True)]
        for process in frozen:
            process.suspend()
        try:
            answers = []
            for _ in range(6):
                started = time.monotonic()
                with urllib.request.urlopen(health_url, timeout=5) as response:
                    answers.append((time.monotonic() - started, json.loads(response.read())["ledger"]))
                time.sleep(1)
            assert all(spent < 1.0 for spent, _ in answers), answers
            assert answers[-1][1] == "unavailable", answers
            for command in (("case", "note", case_no, "库冻住时的备注"), ("case", "show", case_no), ("cases",)):
                started = time.monotonic()
                done = stack.baoxue(*command, actor=officer, timeout=60)
                assert time.monotonic() - started < 25, command
                assert done.code == 1 and len(done.stderr.strip().splitlines()) == 1, (command, done.stderr)
                assert "台账数据库暂时不可用" in done.stderr or "未能在" in done.stderr, done.stderr
        finally:
            for process in frozen:
                process.resume()
        assert wait_healthy(stack, 90)["healthy"]
        again = stack.baoxue("case", "note", case_no, "库冻住时的备注", actor=officer)
        assert again.code == 0, again.stderr
        assert wait_until(lambda: stack.baoxue("verify", case_no).code == 0, 60, step=3)
        history = stack.baoxue("case", "history", case_no, "--json", actor=officer).json()
        assert sum(1 for e in history if e["details"].get("text") == "库冻住时的备注") == 1
