"""Benchmark: one officer step as a whole process, against the interpreter starting and stopping.

Target (issue 9): `baoxue case note` — start, sign, two requests to the server, the case's update,
the ledger, the answer, exit — median ≤ 0.35 s on this machine; `python -c pass` is measured beside
it in the same run so that a slow machine shows as a slow baseline, not as a slow client.

Starts its own `baoxue up --demo` on a scratch data dir and free ports, enrols a case officer into
the scratch profile, opens one case, then times the notes.

    python bench/cli_step.py [--runs 30] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stack import BAOXUE, BenchStack, bench_stack, scratch_folder  # noqa: E402
from domain.id_number import make_id_number  # noqa: E402

TARGET_SECONDS = 0.35


def timed(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        seconds.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return seconds


def measure(stack: BenchStack, runs: int = 30) -> dict[str, Any]:
    officer = ["officer", "add", "--name", "测速办案员", "--role", "case_officer", "--township", "梅子垭镇"]
    stack.baoxue(*officer, "--here")
    env = {**stack.env, "BAOXUE_ACTOR": "测速办案员"}
    child = make_id_number("500243", dt.date(2013, 5, 5), 321)
    opened = stack.baoxue(
        "case", "open", "--kind", "dropout", "--township", "梅子垭镇", "--json",
        actor="测速办案员", stdin=f"{child}\n测速儿童\n",
    )  # fmt: skip
    case_no = json.loads(opened.stdout)["case_no"]
    timed([BAOXUE, "case", "note", case_no, "预热"], env, 3)
    baseline = timed([sys.executable, "-c", "pass"], env, runs)
    steps = timed([BAOXUE, "case", "note", case_no, "测速备注"], env, runs)
    return {
        "cli_step_p50_s": statistics.median(steps),
        "cli_step": {
            "p90_s": sorted(steps)[int(0.9 * (len(steps) - 1))],
            "python_pass_p50_s": statistics.median(baseline),
            "runs": runs,
            "case_no": case_no,
        },
    }


def run(folder: Path, runs: int) -> dict[str, Any]:
    with bench_stack(folder) as stack:
        return measure(stack, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", type=Path, help="Keep the scratch stack here")
    args = parser.parse_args()
    with scratch_folder(args.keep) as folder:
        result = run(folder, args.runs)
    raw = result["cli_step"]
    print(f"python -c pass        median {raw['python_pass_p50_s']:.3f} s")
    print(f"baoxue case note      median {result['cli_step_p50_s']:.3f} s  (p90 {raw['p90_s']:.3f} s)")
    print(f"ratio                 {result['cli_step_p50_s'] / raw['python_pass_p50_s']:.1f} × python -c pass")
    verdict = "met" if result["cli_step_p50_s"] <= TARGET_SECONDS else "NOT met"
    print(f"target ≤ {TARGET_SECONDS} s: {verdict}")


if __name__ == "__main__":
    main()
