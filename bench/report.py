"""Benchmark: the 清零 report and the dashboard overview over 10,000 cases, from the ledger.

Target (issue 13): median ≤ 0.3 s server time for the overview and for `report --format json`.
Starts its own `baoxue up --demo`, writes N synthetic cases with their events straight into the
stack's ledger (invented children; a spread of stages, outcomes and reminders over the campaign's
first weeks), then times, over loopback, the signed `GET /api/report` (the JSON the CLI prints)
and the dashboard's overview page in a browser session. Loopback adds little; the JSON of 10,000
cases is part of what is timed. (Counting the same cases through Temporal visibility needs them
as workflows: issue 15's benchmark opens them for real.)

    python bench/report.py [--cases 10000] [--runs 15] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stack import BenchStack, bench_stack, scratch_folder  # noqa: E402

TARGET_SECONDS = 0.3
PATH = ("visited", "planned", "confirmed", "closed")


def fill_ledger(stack: BenchStack, cases: int, seed: int = 13) -> None:
    """N cases of pengshui-2026 across the roster's townships, each with its events so far."""
    import psycopg

    from config import DEFAULT_ROSTER_FILE
    from config.roster_file import load_roster

    rng = random.Random(seed)
    chains = load_roster(DEFAULT_ROSTER_FILE).chains()
    start = dt.datetime(2026, 9, 7, 1, 0, tzinfo=dt.UTC)
    with psycopg.connect(stack.state()["database"]["url"]) as conn, conn.cursor() as cursor:
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


def timed(call, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    call()  # warm
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    import httpx

    with scratch_folder(args.keep) as folder, bench_stack(folder) as stack:
        fill_ledger(stack, args.cases)
        county = "县教委报表测速"
        stack.baoxue("officer", "add", "--name", county, "--role", "county", "--here")
        import os

        os.environ["BAOXUE_PROFILE_DIR"] = stack.env["BAOXUE_PROFILE_DIR"]
        from cli.http import Server
        from cli.profile import Profile

        url = stack.state()["api"]["url"]
        server = Server(url, Profile().choose(county, None))
        report = timed(lambda: server.request("GET", "/api/report"), args.runs)
        link = stack.baoxue("dashboard", "--print-url", actor=county).stdout.strip()
        with httpx.Client(timeout=120) as browser:
            session = browser.get(link).cookies["baoxue_session"]
            browser.cookies.set("baoxue_session", session, path="/dashboard")
            overview = timed(lambda: browser.get(f"{url}/dashboard/").raise_for_status(), args.runs)
        server.close()  # idle past the server's keep-alive while the pages were timed
        figures = server.request("GET", "/api/report")["total"]
        print(f"cases in the ledger: {figures['suspected']} (open {figures['open']})")
        for name, seconds in (("report --format json", report), ("dashboard overview", overview)):
            median = statistics.median(seconds)
            verdict = "ok" if median <= TARGET_SECONDS else "over"
            print(f"{name:22} median {median:.3f} s  (min {min(seconds):.3f}, target ≤ {TARGET_SECONDS}) {verdict}")


if __name__ == "__main__":
    main()
