"""Benchmark `storm`: N open cases (default 10,000) through their life in one run.

Opens N suspects by `discover --apply` in a campaign whose clearance deadline falls after the
opening — every stage is capped at the deadline, so all N share one due time. While they wait on
their timers: the worker's resident memory (`worker_rss_mb_10k`, ≤ 400 MB), the dashboard overview
and `report --format json` (`overview_10k_p50_ms`, server time, ≤ 300 ms), and counting and
listing the same cases through Temporal visibility against the ledger (`visibility_ratio`,
reported). At the deadline: seconds until every level-0 outbox row exists and has been handed to
apprise, a local `json://` sink counting them (`escalations_10k_s`, ≤ 600 s). Then, every case
overdue: `cases --overdue --json` server time (`list_10k_p50_ms`, ≤ 100 ms). It ends when every
case has also been escalated for the deadline (`deadline_escalated_s`), so the benchmarks after it
do not share the machine with its tail. Then the floor (bench/storm_floor.py): as many workflows of
a reminder's shape waking at one moment; `storm_ratio` = floor seconds ÷ baoxue's (≥ 0.8).
(Issues 15, 29.)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.server
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from bench.cpu import CpuMeter
from bench.stack import BenchStack, Sink, campaign_file, free_port
from domain.id_number import make_id_number

CAMPAIGN = "bench-storm"
COUNTY = "测速县级督查"
TOWNSHIPS = ("靛水街道", "鞍子镇", "汉葭街道", "保家镇", "郁山镇")
"""Not 梅子垭镇, where the cli benchmark registers an officer without a notify URL: the first case
officer of a township is who its discovered cases are assigned to."""
RUNS = 15


def household_file(folder: Path, n: int) -> Path:
    path = folder / "storm-household.csv"
    lines = ["姓名,身份证号,乡镇（街道）"]
    for i in range(n):
        born = dt.date(2011, 1, 1) + dt.timedelta(days=i % 1800)
        lines.append(f"风暴测速{i},{make_id_number('500241', born, 100 + i // 1800)},{TOWNSHIPS[i % len(TOWNSHIPS)]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmRSS for pid {pid}")


def server_ms(header: str | None) -> float:
    if not header or "dur=" not in header:
        raise SystemExit("the server sent no Server-Timing header")
    return float(header.split("dur=")[1].split(";")[0].split(",")[0])


def median_server_ms(call: Any, runs: int = RUNS) -> tuple[float, float]:
    """(median server ms, the first call's server ms)."""
    first = server_ms(call())
    return statistics.median(server_ms(call()) for _ in range(runs)), first


async def visibility_seconds(stack: BenchStack, runs: int = 5) -> dict[str, float]:
    from temporalio.client import Client

    from workflows.search_attributes import CASE_STAGE, CASE_TOWNSHIP

    state = stack.state()
    client = await Client.connect(state["temporal"]["address"], namespace=state["temporal"]["namespace"])
    query = f'BaoxueCampaign = "{CAMPAIGN}" AND ExecutionStatus = "Running"'

    async def count() -> None:
        await client.count_workflows(query)

    async def tally() -> None:
        counts: dict[tuple[str, str], int] = {}
        async for execution in client.list_workflows(query, page_size=1000):
            attributes = execution.typed_search_attributes
            key = (attributes.get(CASE_TOWNSHIP) or "", attributes.get(CASE_STAGE) or "")
            counts[key] = counts.get(key, 0) + 1

    async def median(call: Any) -> float:
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            await call()
            seconds.append(time.perf_counter() - started)
        return statistics.median(seconds)

    return {"count_s": await median(count), "list_and_tally_s": await median(tally)}


def measure(stack: BenchStack, n: int = 10_000, opening_rate: float = 10.0) -> dict[str, Any]:
    """`opening_rate`: cases a second `discover --apply` managed here (the intake benchmark's);
    the deadline is set for the opening to finish well before it."""
    import httpx

    sink = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    sink_url = f"json://127.0.0.1:{sink.server_address[1]}/"
    stack.baoxue("officer", "add", "--name", COUNTY, "--role", "county", "--here")
    for i, township in enumerate(TOWNSHIPS):
        stack.baoxue(
            "officer", "add", "--name", f"风暴办案员{i}", "--role", "case_officer", "--township", township,
            "--notify", sink_url,
        )  # fmt: skip
    allowance = n / (0.7 * opening_rate) + 90
    deadline = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=allowance)
    stages = "stages: {home_visit: P30D, return_plan: P30D, return_confirmation: P30D, closure: P30D}\n"
    campaign = campaign_file(
        stack.folder, CAMPAIGN, deadline=deadline.isoformat(), extra="calendar: calendar\n" + stages
    )
    stack.baoxue("campaign", "add", str(campaign))
    stack.baoxue("import", "household", str(household_file(stack.folder, n)), "--campaign", CAMPAIGN)
    started = time.perf_counter()
    applied = stack.json("discover", "--campaign", CAMPAIGN, "--apply")
    opening_s = time.perf_counter() - started
    if applied["opened"] != n or dt.datetime.now(dt.UTC) >= deadline:
        raise SystemExit(f"opened {applied['opened']} of {n} in {opening_s:.0f} s, deadline {allowance:.0f} s")

    state = stack.state()
    rss = rss_mb(state["worker"]["pid"])
    os.environ["BAOXUE_PROFILE_DIR"] = stack.env["BAOXUE_PROFILE_DIR"]
    from cli.http import Server
    from domain.profile import Profile

    url = state["api"]["url"]
    server = Server(url, Profile().choose(COUNTY, None))

    def report() -> str | None:
        server.request("GET", "/api/report", query={"campaign": CAMPAIGN})
        return server.server_timing

    def listed() -> str | None:
        server.request("GET", "/api/cases", query={"campaign": CAMPAIGN})
        return server.server_timing

    report_ms, report_cold_ms = median_server_ms(report)
    link = stack.baoxue("dashboard", "--print-url", actor=COUNTY).stdout.strip()
    with httpx.Client(timeout=120) as browser:
        session = browser.get(link).cookies["baoxue_session"]
        browser.cookies.set("baoxue_session", session, path="/dashboard")
        overview_ms, _cold = median_server_ms(
            lambda: browser.get(f"{url}/dashboard/").raise_for_status().headers.get("server-timing")
        )
    ledger_list_ms, _first = median_server_ms(listed, 5)
    visibility = asyncio.run(visibility_seconds(stack))
    server.close()

    wait = (deadline - dt.datetime.now(dt.UTC)).total_seconds()
    if wait > 0:
        time.sleep(wait)
    meter = CpuMeter(state)
    meter.start()
    level0 = escalated_s = delivered_s = None
    while True:
        elapsed = (dt.datetime.now(dt.UTC) - deadline).total_seconds()
        level0, sent, deliverable = level0_rows(stack.owner_url())
        if escalated_s is None and level0 >= n:
            escalated_s = elapsed
        if delivered_s is None and escalated_s is not None and sent >= deliverable:
            delivered_s = elapsed
        if (escalated_s is not None and delivered_s is not None) or elapsed > 1800:
            break
        time.sleep(2)
    cpu = meter.stop((dt.datetime.now(dt.UTC) - deadline).total_seconds())
    sink.shutdown()

    def overdue() -> str | None:
        server.request("GET", "/api/cases", query={"campaign": CAMPAIGN, "overdue": "true"})
        return server.server_timing

    list_ms, list_cold_ms = median_server_ms(overdue)
    server.close()
    settled_s = None
    while settled_s is None and (dt.datetime.now(dt.UTC) - deadline).total_seconds() < 1800:
        if deadline_escalated(stack.owner_url()) >= n:
            settled_s = (dt.datetime.now(dt.UTC) - deadline).total_seconds()
        else:
            time.sleep(2)
    worst = max(escalated_s or float("inf"), delivered_s or float("inf"))
    from bench.storm_floor import storm_floor

    floor = asyncio.run(storm_floor(stack, n, start_rate=max(50.0, n / opening_s)))
    return {
        "storm_ratio": floor["storm_floor_s"] / worst,
        "worker_rss_mb_10k": rss,
        "overview_10k_p50_ms": max(overview_ms, report_ms),
        "visibility_ratio": visibility["list_and_tally_s"] * 1000 / ledger_list_ms,
        "escalations_10k_s": worst,
        "list_10k_p50_ms": list_ms,
        "storm": {
            "cases": n,
            "opening_s": opening_s,
            "opening_per_s": n / opening_s,
            "report_p50_ms": report_ms,
            "report_first_ms": report_cold_ms,
            "overview_p50_ms": overview_ms,
            "ledger_list_all_p50_ms": ledger_list_ms,
            **{f"visibility_{k}": v for k, v in visibility.items()},
            "level0_rows": level0,
            "level0_rows_s": escalated_s,
            "delivered": Sink.received,
            "deliverable": deliverable,
            "delivered_s": delivered_s,
            "list_overdue_first_ms": list_cold_ms,
            "deadline_escalated_s": settled_s,
            "cpu": cpu,
            **floor,
        },
    }


def level0_rows(url: str, campaign: str = CAMPAIGN) -> tuple[int, int, int]:
    """The campaign's level-0 outbox rows: written, sent, and those with a recipient who has a
    notify URL (the rest stay in the outbox by design)."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE n.status = 'sent'),"
            " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM officers o WHERE o.name = n.recipient"
            "  AND jsonb_array_length(o.notify_urls) > 0))"
            " FROM notifications n JOIN cases c ON c.id = n.case_id WHERE c.campaign = %s AND n.level = 0",
            (campaign,),
        ).fetchone()
    return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)


def deadline_escalated(url: str) -> int:
    """The campaign's cases escalated for the clearance deadline: the storm's second wave, which
    the benchmarks after it must not share the machine with."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM cases WHERE campaign = %s AND missed_deadline", (CAMPAIGN,)).fetchone()
    return int(row[0]) if row else 0
