"""Benchmark: N open cases reach the clearance deadline together.

Target (issue 11): with N = 2,000 on this machine, every case escalated (a level-2 row in the
ledger) and every reminder handed to apprise (a local `json://` sink that counts them) within 5
minutes of the deadline. Printed beside the bound, with the time the opening took.

Starts its own `baoxue up --demo`, adds a campaign whose deadline falls a little after the cases
are open, gives the five group leaders the sink as their notify URL, opens N synthetic cases
through the API (4 at a time), then waits.

    python bench/deadline.py [--cases 2000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.server
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stack import BenchStack, Sink, bench_stack, free_port, scratch_folder  # noqa: E402
from cli.http import Server  # noqa: E402
from domain.id_number import make_id_number  # noqa: E402
from domain.profile import Profile  # noqa: E402

BOUND_SECONDS = 300
COUNTY = "基准测试县级"
GROUP_LEADERS = ("朱洪斌", "周勇", "任牮交", "陈代全", "刘敏")


def open_cases(stack: BenchStack, n: int, townships: list[str]) -> float:
    profile = Profile(Path(stack.env["BAOXUE_PROFILE_DIR"]))
    identity = profile.choose(COUNTY, None)
    started = time.monotonic()

    def one(i: int) -> None:
        server = Server(identity.server, identity)
        born = dt.date(2012, 1, 1) + dt.timedelta(days=i % 1500)
        body = {
            "kind": "dropout",
            "id_number": make_id_number("500243", born, i % 1000),
            "name": f"基准儿童{i}",
            "township": townships[i % len(townships)],
            "campaign": "bench-deadline",
        }
        server.request("POST", "/api/cases", body=body)
        server.close()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(n)))
    return time.monotonic() - started


def run(folder: Path, n: int) -> dict[str, float]:
    sink_port = free_port()
    sink = http.server.ThreadingHTTPServer(("127.0.0.1", sink_port), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    with bench_stack(folder) as stack:
        stack.baoxue("officer", "add", "--name", COUNTY, "--role", "county", "--here")
        for leader in GROUP_LEADERS:
            sink_url = f"json://127.0.0.1:{sink_port}/"
            stack.baoxue("officer", "add", "--name", leader, "--role", "group_leader", "--notify", sink_url)
        townships = [c["township"] for c in stack.json("roster", "show")]
        opening_allowance = n / 8 + 60  # seconds: opening runs at ~10-20 cases a second here
        deadline = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=opening_allowance)
        campaign = folder / "bench-deadline.yaml"
        campaign.write_text(
            "name: bench-deadline\nreference_date: 2026-09-01\n"
            f"clearance_deadline: {deadline.isoformat()}\ncalendar: calendar\n"
            "stages: {home_visit: P30D, return_plan: P30D, return_confirmation: P30D, closure: P30D}\n",
            encoding="utf-8",
        )
        stack.baoxue("campaign", "add", str(campaign))
        opened_in = open_cases(stack, n, townships)
        if dt.datetime.now(dt.UTC) >= deadline:
            raise SystemExit(f"opening took {opened_in:.0f} s, past the deadline: run with fewer --cases")
        time.sleep(max(0.0, (deadline - dt.datetime.now(dt.UTC)).total_seconds()))
        escalated_at = delivered_at = None
        while True:
            elapsed = (dt.datetime.now(dt.UTC) - deadline).total_seconds()
            rows = stack.json("escalations", actor=COUNTY)
            escalated = len({r["case_no"] for r in rows if r["reason"] == "clearance_deadline"})
            if escalated_at is None and escalated >= n:
                escalated_at = elapsed
            if delivered_at is None and Sink.received >= n:
                delivered_at = elapsed
            if escalated_at is not None and delivered_at is not None:
                break
            if elapsed > 3 * BOUND_SECONDS:
                break
            time.sleep(5)
    sink.shutdown()
    return {
        "cases": n,
        "opening_s": opened_in,
        "escalations_s": escalated_at if escalated_at is not None else float("inf"),
        "deliveries_s": delivered_at if delivered_at is not None else float("inf"),
        "delivered": Sink.received,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    with scratch_folder(args.keep) as folder:
        result = run(folder, args.cases)
    print(f"cases                         {result['cases']}")
    print(f"opened in                     {result['opening_s']:.0f} s")
    print(f"all escalated after deadline  {result['escalations_s']:.0f} s")
    print(f"all reminders handed over     {result['deliveries_s']:.0f} s  ({result['delivered']} received)")
    worst = max(result["escalations_s"], result["deliveries_s"])
    print(
        f"bound {BOUND_SECONDS} s: {'met' if worst <= BOUND_SECONDS else 'NOT met'} ({worst / BOUND_SECONDS:.2f} of it)"
    )


if __name__ == "__main__":
    main()
