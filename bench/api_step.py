"""Benchmark `api`: one step through the HTTP API — a signed request, the case's update, the
ledger, the answer — timed by the client over loopback, median of 200 (target ≤ 60 ms; issue 15).
Signing is inside the timing; the server's own time (Server-Timing) is reported beside it, and
what a step costs each part of the stack in processor time (`cpu_ms_per_step`, bench/cpu.py)."""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from bench.cpu import CpuMeter
from bench.stack import BenchStack

OFFICER = "测速办案员"
WARM_UP = 5


def measure(stack: BenchStack, case_no: str, runs: int = 200) -> dict[str, Any]:
    """`case_no`: a case of 梅子垭镇 the officer (registered by the `cli` benchmark) may note."""
    os.environ["BAOXUE_PROFILE_DIR"] = stack.env["BAOXUE_PROFILE_DIR"]
    from cli.case_commands import signed_step
    from cli.http import Server
    from domain.profile import Profile

    server = Server(stack.state()["api"]["url"], Profile().choose(OFFICER, None))
    where = server.request("GET", f"/api/cases/{case_no}/step")
    case_id, seq = where["case_id"], where["last_seq"]
    client, served = [], []
    meter = CpuMeter(stack.state())
    began = time.perf_counter()
    for n in range(runs + WARM_UP):
        if n == WARM_UP:
            meter.start()
            began = time.perf_counter()
        started = time.perf_counter()
        body = signed_step(server, case_id, "note", seq, {"text": f"接口测速 {n}"})
        answer = server.request("POST", f"/api/cases/{case_no}/steps/note", body=body)
        elapsed = time.perf_counter() - started
        seq = answer["last_seq"]
        if n >= WARM_UP:
            client.append(elapsed * 1000)
            served.append(float((server.server_timing or "dur=0").split("dur=")[1]))
    cpu = meter.stop(time.perf_counter() - began)
    server.close()
    per_step = {part.removesuffix("_s"): round(seconds * 1000 / runs, 1) for part, seconds in cpu.items()}
    return {
        "api_step_p50_ms": statistics.median(client),
        "api_step": {
            "runs": runs,
            "p90_ms": sorted(client)[int(0.9 * (runs - 1))],
            "server_p50_ms": statistics.median(served),
            "cpu_ms_per_step": {k: v for k, v in per_step.items() if k not in ("wall", "cores")},
        },
    }
