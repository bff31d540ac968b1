"""Benchmark: the 清零 report and the dashboard overview over 10,000 cases, from the ledger.

Target (issue 13): median ≤ 0.3 s server time for the overview and for `report --format json`.
Starts its own `baoxue up --demo`, writes N synthetic cases with their events straight into the
stack's ledger (invented children; a spread of stages, outcomes and reminders over the campaign's
first weeks), then times the signed `GET /api/report` (the JSON the CLI prints, all N ledger lines)
and the dashboard's overview page in a browser session: the server's own time from each answer's
`Server-Timing` header, the round trip beside it, and the first (cold) request apart. Then the same
N cases are started as workflows carrying the cases' search attributes (never run: no worker
polls their queue), and counting them, and listing and tallying them by township and stage, through
Temporal visibility is timed in the same run.

    python bench/report.py [--cases 10000] [--runs 15] [--no-visibility] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stack import BenchStack, bench_stack, scratch_folder  # noqa: E402

TARGET_SECONDS = 0.3
PATH = ("visited", "planned", "confirmed", "closed")


LIST_TARGET_SECONDS = 0.1
"""`list_10k_p50_ms` (issue 15); here every case is listed, the overdue ones a subset."""


def fill_ledger(stack: BenchStack, cases: int, seed: int = 13) -> None:
    """N cases of pengshui-2026 across the roster's townships, each with its events so far."""
    import psycopg

    from config import DEFAULT_ROSTER_FILE
    from config.roster_file import load_roster

    rng = random.Random(seed)
    chains = load_roster(DEFAULT_ROSTER_FILE).chains()
    start = dt.datetime(2026, 9, 7, 1, 0, tzinfo=dt.UTC)
    with psycopg.connect(stack.owner_url()) as conn, conn.cursor() as cursor:
        with cursor.copy("COPY students (id, child_key, name_enc, id_number_enc, id_masked) FROM STDIN") as copy:
            students = []
            for n in range(cases):
                student = uuid.uuid4()
                students.append(student)
                copy.write_row((student, f"bench-{n}", b"", b"", f"500243**********{n % 100:02d}"))
        case_rows, event_rows = [], []
        for n, student in enumerate(students):
            chain = rng.choice(chains)
            case_id = uuid.uuid4()
            opened = start + dt.timedelta(hours=rng.randint(0, 24 * 40))
            steps = rng.choice((0, 0, 1, 2, 3, 4, 4))
            events = [("opened", "discovery", opened, "{}")]
            at = opened
            for name in PATH[:steps]:
                at += dt.timedelta(hours=rng.randint(6, 90))
                events.append((name, "home_visit", at, '{"finding": "confirmed"}' if name == "visited" else "{}"))
            if steps < 4 and rng.random() < 0.4:
                events.append(("escalated", "home_visit", at + dt.timedelta(days=3), '{"level": 0, "recipients": []}'))
            stage = ("home_visit", "return_plan", "return_confirmation", "closure", "closed")[steps]
            kind = rng.choice(("dropout", "funding"))
            case_rows.append(
                (case_id, f"2026-{900000 + n:06d}", f"case-{case_id}", "pengshui-2026", kind,
                 student, chain.township, chain.group, stage, "{}", "bench", opened, len(events))
            )  # fmt: skip
            event_rows.extend(
                (case_id, f"{case_id}:{name}:{seq}", seq, name, st, "system", when, payload)
                for seq, (name, st, when, payload) in enumerate(events, start=1)
            )
        with cursor.copy(
            "COPY cases (id, case_no, workflow_id, campaign, kind, student_id, township, group_no, stage,"
            " chain, roster_version, opened_at, last_seq) FROM STDIN"
        ) as copy:
            for row in case_rows:
                copy.write_row(row)
        with cursor.copy(
            "COPY case_events (case_id, business_key, seq, type, stage, actor, at, payload) FROM STDIN"
        ) as copy:
            for row in event_rows:
                copy.write_row(row)
        conn.commit()
        cursor.execute("ANALYZE")


def server_seconds(header: str | None) -> float:
    """`app;dur=12.3` (milliseconds, api/timing.py) in seconds."""
    if not header or "dur=" not in header:
        raise SystemExit("the server sent no Server-Timing header")
    return float(header.split("dur=")[1].split(";")[0].split(",")[0]) / 1000


@dataclass
class Timing:
    cold_server: float
    """The first request after the cases were written: every case folded from its events."""
    server: list[float]
    client: list[float]

    def line(self, name: str, target: float = TARGET_SECONDS) -> str:
        median = statistics.median(self.server)
        verdict = "ok" if median <= target else "over"
        return (
            f"{name:22} server median {median:.3f} s (min {min(self.server):.3f}, cold {self.cold_server:.3f});"
            f" round trip {statistics.median(self.client):.3f} s; target ≤ {target} {verdict}"
        )


def timed(call, runs: int) -> Timing:  # type: ignore[no-untyped-def]
    """`call` makes one request and gives back its Server-Timing header."""
    cold = server_seconds(call())
    client, server = [], []
    for _ in range(runs):
        started = time.perf_counter()
        header = call()
        client.append(time.perf_counter() - started)
        server.append(server_seconds(header))
    return Timing(cold, server, client)


async def visibility_seconds(stack: BenchStack, runs: int) -> tuple[int, float, float]:
    """The same cases as workflows (never run: no worker polls their queue) carrying the case's
    search attributes; then the median time to count them, and to list them all and tally them by
    township and stage — what the overview would cost if it asked Temporal visibility."""
    import psycopg
    from temporalio.client import Client
    from temporalio.common import SearchAttributePair, TypedSearchAttributes

    from workflows.search_attributes import CASE_CAMPAIGN, CASE_GROUP, CASE_KIND, CASE_STAGE, CASE_TOWNSHIP

    state = stack.state()
    client = await Client.connect(state["temporal"]["address"], namespace=state["temporal"]["namespace"])
    with psycopg.connect(stack.owner_url()) as conn:
        rows = conn.execute("SELECT id, kind, township, group_no, stage FROM cases ORDER BY case_no").fetchall()
    gate = asyncio.Semaphore(32)

    async def start(case_id: uuid.UUID, kind: str, township: str, group: int, stage: str) -> None:
        attributes = TypedSearchAttributes(
            [
                SearchAttributePair(CASE_KIND, kind),
                SearchAttributePair(CASE_TOWNSHIP, township),
                SearchAttributePair(CASE_CAMPAIGN, "pengshui-2026"),
                SearchAttributePair(CASE_GROUP, group),
                SearchAttributePair(CASE_STAGE, stage),
            ]
        )
        async with gate:
            await client.start_workflow(
                "BenchVisibilityCase", id=f"bench-{case_id}", task_queue="bench-idle", search_attributes=attributes
            )

    started = time.perf_counter()
    await asyncio.gather(*(start(*row) for row in rows))
    query = 'BaoxueCampaign = "pengshui-2026"'
    deadline = time.monotonic() + 300
    while (await client.count_workflows(query)).count < len(rows) and time.monotonic() < deadline:
        await asyncio.sleep(1)
    print(f"{len(rows)} workflows started in {time.perf_counter() - started:.0f} s for the visibility comparison")

    async def count() -> None:
        await client.count_workflows(query)

    async def tally() -> None:
        counts: Counter[tuple[str, str]] = Counter()
        async for execution in client.list_workflows(query, page_size=1000):
            attributes = execution.typed_search_attributes
            counts[(attributes.get(CASE_TOWNSHIP) or "", attributes.get(CASE_STAGE) or "")] += 1

    async def median_of(call) -> float:  # type: ignore[no-untyped-def]
        seconds = []
        for _ in range(runs):
            began = time.perf_counter()
            await call()
            seconds.append(time.perf_counter() - began)
        return statistics.median(seconds)

    return len(rows), await median_of(count), await median_of(tally)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-visibility", action="store_true", help="skip starting the cases as workflows")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    import httpx

    with scratch_folder(args.keep) as folder, bench_stack(folder) as stack:
        fill_ledger(stack, args.cases)
        county = "县教委报表测速"
        stack.baoxue("officer", "add", "--name", county, "--role", "county", "--here")
        os.environ["BAOXUE_PROFILE_DIR"] = stack.env["BAOXUE_PROFILE_DIR"]
        from cli.http import Server
        from domain.profile import Profile

        url = stack.state()["api"]["url"]
        server = Server(url, Profile().choose(county, None))

        def report() -> str | None:
            server.request("GET", "/api/report")
            return server.server_timing

        def case_list() -> str | None:
            listed = server.request("GET", "/api/cases")
            case_list.size = len(listed)  # type: ignore[attr-defined]
            return server.server_timing

        report_timing = timed(report, args.runs)
        list_timing = timed(case_list, args.runs)
        link = stack.baoxue("dashboard", "--print-url", actor=county).stdout.strip()
        with httpx.Client(timeout=120) as browser:
            session = browser.get(link).cookies["baoxue_session"]
            browser.cookies.set("baoxue_session", session, path="/dashboard")

            def overview() -> str | None:
                return browser.get(f"{url}/dashboard/").raise_for_status().headers.get("server-timing")

            overview_timing = timed(overview, args.runs)
        server.close()  # idle past the server's keep-alive while the pages were timed
        figures = server.request("GET", "/api/report")["total"]
        print(f"cases in the ledger: {figures['suspected']} (open {figures['open']})")
        print(report_timing.line("report --format json"))
        print(overview_timing.line("dashboard overview"))
        print(list_timing.line(f"cases --json ({case_list.size})", LIST_TARGET_SECONDS))  # type: ignore[attr-defined]
        if not args.no_visibility:
            listed, count, tally = asyncio.run(visibility_seconds(stack, min(args.runs, 5)))
            ledger = statistics.median(overview_timing.server)
            print(
                f"Temporal visibility over the same {listed}: count {count:.3f} s, list and tally {tally:.3f} s"
                f" = {tally / ledger:.1f}× the overview from the ledger"
            )


if __name__ == "__main__":
    main()
