"""Benchmark `mixed` (issue 29): what an officer feels on the busiest morning. On one stack, a
10,000-case deadline storm and a 200,000-row household import run together; meanwhile 8 officers
take steps (signed API requests on real cases, back to back), the dashboard overview is read once
a second and `/api/health` five times a second. Reported: the steps' p50 and p95
(`mixed_step_p50_ms`, `mixed_step_p95_ms` ≤ 500), the overview's p95 (`mixed_overview_p95_ms`
≤ 1,000), health's p99 (`mixed_health_p99_ms` ≤ 200), all timed by the client (a step's time on
the server, from its Server-Timing header, beside it), and how long the storm and the import took
beside their quiet figures from the same run (`storm`, `import`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import http.server
import os
import statistics
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.cpu import CpuMeter
from bench.import_speed import county_files
from bench.stack import BenchStack, Sink, campaign_file, free_port
from bench.storm import level0_rows, rss_mb
from domain.id_number import make_id_number

CAMPAIGN = "bench-mixed"
STEPS_CAMPAIGN = "bench-mixed-steps"
IMPORT_CAMPAIGN = "bench-mixed-import"
OFFICERS = 8
TOWNSHIPS = ("万足镇", "鹿角镇", "新田镇", "桑柘镇", "大同镇")
"""None of the storm benchmark's: after it, its officers' sink is gone, and their reminders would
only fail (on one stack, `python -m bench all` runs the storm first)."""
COUNTY = "混合测速督查"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] if ordered else float("nan")


def household_file(folder: Path, n: int) -> Path:
    path = folder / "mixed-household.csv"
    lines = ["姓名,身份证号,乡镇（街道）"]
    for i in range(n):
        born = dt.date(2011, 1, 1) + dt.timedelta(days=i % 1800)
        lines.append(f"混合测速{i},{make_id_number('500242', born, 100 + i // 1800)},{TOWNSHIPS[i % len(TOWNSHIPS)]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Recorder:
    """Client-side latencies of one kind of request while the window is open."""

    def __init__(self) -> None:
        self.ms: list[float] = []
        self.served_ms: list[float] = []
        """What the server said it spent on each answered request (its Server-Timing header)."""
        self.errors = 0
        self.kinds: Counter[str] = Counter()
        self.lock = threading.Lock()

    def timed(self, call: Any) -> bool:
        """A request that failed (a step not answered within the server's 15 s) counts with the
        time it took, as well as an error: the percentiles must not drop the slowest. True when
        it failed."""
        started = time.perf_counter()
        failed, error = False, None
        try:
            call()
        except Exception as raised:
            failed, error = True, raised
        with self.lock:
            self.ms.append((time.perf_counter() - started) * 1000)
            self.errors += failed
            if failed:
                self.kinds[f"{type(error).__name__}: {error}"[:80]] += 1
        return failed


def _officer(stack: BenchStack, i: int, stop: threading.Event, steps: Recorder) -> None:
    try:
        _steps(stack, i, stop, steps)
    except BaseException as error:  # a thread's SystemExit would pass in silence
        FAILED.append(f"混合办案员{i}: {error}")
        raise


FAILED: list[str] = []
CASES: list[str] = []
"""The officers' cases, whose histories say where their steps waited."""


def _steps(stack: BenchStack, i: int, stop: threading.Event, steps: Recorder) -> None:
    from cli.case_commands import signed_step
    from cli.http import Server
    from domain.profile import Profile

    name = f"混合办案员{i}"
    server = Server(stack.state()["api"]["url"], Profile().choose(name, None))
    case_no: str = stack.json(
        "case", "open", "--kind", "dropout", "--township", TOWNSHIPS[i % len(TOWNSHIPS)], "--campaign", STEPS_CAMPAIGN,
        actor=name, stdin=f"{make_id_number('500242', dt.date(2014, 1, 1 + i), 900 + i)}\n混合步骤{i}\n",
    )["case_no"]  # fmt: skip
    where = server.request("GET", f"/api/cases/{case_no}/step")
    CASES.append(case_no)
    state = {"seq": where["last_seq"], "n": 0}
    ready.wait()

    def one() -> None:
        state["n"] += 1  # a note's text once more would be taken for a retry of the same note
        body = signed_step(server, where["case_id"], "note", state["seq"], {"text": f"混合测速 {state['n']}"})
        state["seq"] = server.request("POST", f"/api/cases/{case_no}/steps/note", body=body)["last_seq"]
        steps.served_ms.append(float((server.server_timing or "dur=nan").split("dur=")[1]))

    while not stop.is_set():
        if steps.timed(one):  # the server may have taken it after all: go on from where the case is
            state["seq"] = _where_now(server, case_no, stop, state["seq"])
    server.close()


def _where_now(server: Any, case_no: str, stop: threading.Event, last_seen: int) -> int:
    """The case's number, asked again until the server answers (a read can time out through the
    storm too); the number last seen if the window closes first."""
    while not stop.is_set():
        try:
            return int(server.request("GET", f"/api/cases/{case_no}/step")["last_seq"])
        except Exception:
            stop.wait(1.0)
    return last_seen


ready = threading.Event()


async def step_tasks(stack: BenchStack, case_nos: list[str]) -> dict[str, Any]:
    """Where the officers' steps spent their time, from their cases' histories (every run of each:
    a case continues as new when its history grows long): each accepted step's workflow task
    waited in a task queue (scheduled → started; the queue the worker that holds the case polls,
    "sticky", or the shared one) and then ran on the worker (started → completed: the update's
    handler and its local projection)."""
    import psycopg
    from temporalio.api.enums.v1 import EventType, TaskQueueKind
    from temporalio.client import Client

    with psycopg.connect(stack.owner_url()) as conn:
        ids = [row[0] for row in conn.execute("SELECT workflow_id FROM cases WHERE case_no = ANY(%s)", (case_nos,))]
    state = stack.state()
    client = await Client.connect(state["temporal"]["address"], namespace=state["temporal"]["namespace"])
    waited: list[float] = []
    ran: list[float] = []
    sticky = 0
    runs = [
        (workflow_id, execution.run_id)
        for workflow_id in ids
        async for execution in client.list_workflows(f"WorkflowId = '{workflow_id}'")
    ]
    for workflow_id, run_id in runs:
        events = (await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()).events
        task: dict[str, Any] = {}
        for event in events:
            kind = event.event_type
            at = event.event_time.ToDatetime().timestamp()
            if kind == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
                queue = event.workflow_task_scheduled_event_attributes.task_queue.kind
                task = {"scheduled": at, "sticky": queue == TaskQueueKind.TASK_QUEUE_KIND_STICKY}
            elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                task["started"] = at
            elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                task["completed"] = at
            elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED and "completed" in task:
                waited.append((task["started"] - task["scheduled"]) * 1000)
                ran.append((task["completed"] - task["started"]) * 1000)
                sticky += task["sticky"]
                task = {}
    return {
        "step_runs": len(runs),
        "step_tasks": len(waited),
        "step_tasks_sticky": sticky,
        "step_task_wait_p50_ms": statistics.median(waited) if waited else None,
        "step_task_wait_p95_ms": percentile(waited, 0.95),
        "step_task_run_p50_ms": statistics.median(ran) if ran else None,
        "step_task_run_p95_ms": percentile(ran, 0.95),
    }


def _every(seconds: float, stop: threading.Event, call: Any, recorder: Recorder) -> None:
    ready.wait()
    while not stop.is_set():
        started = time.perf_counter()
        recorder.timed(call)
        stop.wait(max(0.0, seconds - (time.perf_counter() - started)))


def measure(stack: BenchStack, n: int, children: int, opening_rate: float, quiet: dict[str, Any]) -> dict[str, Any]:
    import httpx

    os.environ["BAOXUE_PROFILE_DIR"] = stack.env["BAOXUE_PROFILE_DIR"]
    sink = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    sink_url = f"json://127.0.0.1:{sink.server_address[1]}/"
    stack.baoxue("officer", "add", "--name", COUNTY, "--role", "county", "--here")
    for i in range(OFFICERS):
        stack.baoxue(
            "officer", "add", "--name", f"混合办案员{i}", "--role", "case_officer",
            "--township", TOWNSHIPS[i % len(TOWNSHIPS)], "--notify", sink_url, "--here",
        )  # fmt: skip
    stack.baoxue("campaign", "add", str(campaign_file(stack.folder, STEPS_CAMPAIGN)))
    stack.baoxue("campaign", "add", str(campaign_file(stack.folder, IMPORT_CAMPAIGN)))
    register = county_files(stack.folder, children)
    allowance = n / (0.7 * opening_rate) + 120
    deadline = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=allowance)
    stages = "stages: {home_visit: P30D, return_plan: P30D, return_confirmation: P30D, closure: P30D}\n"
    extra = "calendar: calendar\n" + stages
    stack.baoxue(
        "campaign", "add", str(campaign_file(stack.folder, CAMPAIGN, deadline=deadline.isoformat(), extra=extra))
    )
    stack.baoxue("import", "household", str(household_file(stack.folder, n)), "--campaign", CAMPAIGN)
    applied = stack.json("discover", "--campaign", CAMPAIGN, "--apply")
    if applied["opened"] != n or dt.datetime.now(dt.UTC) >= deadline:
        raise SystemExit(f"mixed: opened {applied['opened']} of {n} before the deadline? {deadline}")

    url = stack.state()["api"]["url"]
    link = stack.baoxue("dashboard", "--print-url", actor=COUNTY).stdout.strip()
    browser = httpx.Client(timeout=120)
    browser.cookies.set("baoxue_session", browser.get(link).cookies["baoxue_session"], path="/dashboard")
    health_client = httpx.Client(timeout=60)
    stop = threading.Event()
    steps, overview, health = Recorder(), Recorder(), Recorder()
    threads = [threading.Thread(target=_officer, args=(stack, i, stop, steps), daemon=True) for i in range(OFFICERS)]

    def read_overview() -> None:
        browser.get(f"{url}/dashboard/", params={"campaign": CAMPAIGN}).raise_for_status()

    threads.append(threading.Thread(target=_every, args=(1.0, stop, read_overview, overview), daemon=True))
    threads.append(
        threading.Thread(
            target=_every, args=(0.2, stop, lambda: health_client.get(f"{url}/api/health").raise_for_status(), health),
            daemon=True,
        )
    )  # fmt: skip
    for thread in threads:
        thread.start()
    wait = (deadline - dt.datetime.now(dt.UTC)).total_seconds() - 2
    if wait > 0:
        time.sleep(wait)
    ready.set()
    meter = CpuMeter(stack.state())
    meter.start()
    imported: dict[str, Any] = {}

    def run_import() -> None:
        started = time.perf_counter()
        summary = stack.json("import", "household", str(register[next(iter(register))]), "--campaign", IMPORT_CAMPAIGN)
        imported.update(seconds=time.perf_counter() - started, rows=summary["rows"])

    importer = threading.Thread(target=run_import, daemon=True)
    importer.start()
    storm_s = None
    while storm_s is None and (dt.datetime.now(dt.UTC) - deadline).total_seconds() < 1800:
        written, sent, deliverable = level0_rows(stack.owner_url(), CAMPAIGN)
        if written >= n and sent >= deliverable:
            storm_s = (dt.datetime.now(dt.UTC) - deadline).total_seconds()
        else:
            time.sleep(2)
    cpu = meter.stop((dt.datetime.now(dt.UTC) - deadline).total_seconds())
    importer.join(1800)
    worker_rss = rss_mb(stack.state()["worker"]["pid"])
    stop.set()
    if FAILED:
        raise SystemExit("mixed: " + "; ".join(FAILED))
    for thread in threads:
        thread.join(60)
    sink.shutdown()
    tasks = asyncio.run(step_tasks(stack, CASES))
    browser.close()
    health_client.close()
    return {
        "mixed_step_p50_ms": statistics.median(steps.ms),
        "mixed_step_p95_ms": percentile(steps.ms, 0.95),
        "mixed_overview_p95_ms": percentile(overview.ms, 0.95),
        "mixed_health_p99_ms": percentile(health.ms, 0.99),
        "mixed": {
            "storm_cases": n,
            "storm_s": storm_s,
            "storm_quiet_s": quiet.get("escalations_10k_s"),
            "storm_cpu": cpu,
            "worker_rss_mb_after": worker_rss,
            "import_rows": imported.get("rows"),
            "import_s": imported.get("seconds"),
            "import_quiet_s": (quiet.get("import") or {}).get("import_s"),
            "officers": OFFICERS,
            "steps": len(steps.ms),
            "step_errors": steps.errors,
            "step_error_kinds": dict(steps.kinds),
            "step_max_ms": max(steps.ms, default=None),
            "step_server_p50_ms": statistics.median(steps.served_ms) if steps.served_ms else None,
            "step_server_p95_ms": percentile(steps.served_ms, 0.95),
            "overview_reads": len(overview.ms),
            "overview_p50_ms": statistics.median(overview.ms) if overview.ms else None,
            "overview_errors": overview.errors,
            "health_reads": len(health.ms),
            "health_p50_ms": statistics.median(health.ms) if health.ms else None,
            "health_max_ms": max(health.ms, default=None),
            "health_errors": health.errors,
            **tasks,
        },
    }
