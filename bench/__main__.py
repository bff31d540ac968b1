"""`python -m bench all` (or `python -m bench NAME …`): every benchmark of issue 15 on one scratch
stack of its own (free ports, a temporary data dir), a table of the figures against their
targets, and `bench/results.json` with each figure and the raw numbers behind it.

    python -m bench all [--keep DIR] [--storm-cases 10000] [--intake-cases 2000] [--children 200000]
    python -m bench cli api intake storm import reconcile mixed
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stack import bench_stack, scratch_folder  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
ORDER = ("cli", "api", "intake", "storm", "import", "reconcile", "mixed")
TARGETS: dict[str, tuple[str, float | None]] = {
    "intake_ratio": ("≥", 0.8),
    "cli_step_p50_s": ("≤", 0.35),
    "api_step_p50_ms": ("≤", 60),
    "list_10k_p50_ms": ("≤", 100),
    "overview_10k_p50_ms": ("≤", 300),
    "visibility_ratio": ("", None),
    "worker_rss_mb_10k": ("≤", 400),
    "escalations_10k_s": ("≤", 600),
    "storm_ratio": ("≥", 0.8),
    "import_ratio": ("≤", 1.5),
    "reconcile_ratio": ("≤", 1.5),
    "mixed_step_p50_ms": ("", None),
    "mixed_step_p95_ms": ("≤", 500),
    "mixed_overview_p95_ms": ("≤", 1000),
    "mixed_health_p99_ms": ("≤", 200),
}


def verdict(key: str, value: float) -> str:
    sense, target = TARGETS[key]
    if target is None:
        return "reported"
    held = value >= target if sense == "≥" else value <= target
    return "ok" if held else "MISSED"


def run(names: list[str], args: argparse.Namespace) -> dict[str, Any]:
    from bench import api_step, cli_step, import_speed, intake, mixed, reconcile_path, storm

    figures: dict[str, Any] = {}
    with scratch_folder(args.keep) as folder, bench_stack(folder) as stack:
        steps: dict[str, Callable[[], dict[str, Any]]] = {
            "cli": lambda: cli_step.measure(stack),
            "api": lambda: api_step.measure(stack, figures.get("cli_step", {}).get("case_no") or _case(stack)),
            "intake": lambda: intake.measure(stack, args.intake_cases),
            "storm": lambda: storm.measure(stack, args.storm_cases, opening_rate(figures)),
            "import": lambda: import_speed.measure(stack, args.children),
            "reconcile": lambda: reconcile_path.measure(stack, args.children),
            "mixed": lambda: mixed.measure(stack, args.storm_cases, args.children, opening_rate(figures), figures),
        }
        for name in ORDER:
            if name not in names:
                continue
            started = time.perf_counter()
            print(f"[{dt.datetime.now():%H:%M:%S}] {name} …", flush=True)
            figures.update(steps[name]())
            save(figures, names)  # a long run interrupted later keeps what it measured
            print(f"[{dt.datetime.now():%H:%M:%S}] {name} done in {time.perf_counter() - started:.0f} s", flush=True)
    return figures


def save(figures: dict[str, Any], names: list[str], seconds: float | None = None) -> dict[str, Any]:
    """Merge the figures into bench/results.json (a run of some benchmarks keeps the others')."""
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    results.update(figures)
    results["run"] = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or ''} {_cores()} cores".strip(),
        "benchmarks": names,
        "sqlite_pragmas": os.environ.get("BAOXUE_TEMPORAL_SQLITE_PRAGMAS", "(the stack's default)"),
        **({"seconds": round(seconds)} if seconds is not None else {}),
    }
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return results


def opening_rate(figures: dict[str, Any]) -> float:
    """Cases a second `discover --apply` opened: this run's intake figure, else the last run's."""
    if "intake" in figures:
        return float(figures["intake"]["cases_per_s"])
    earlier = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    return float(earlier.get("intake", {}).get("cases_per_s", 10.0))


def _case(stack: Any) -> str:
    from bench import cli_step

    return cli_step.measure(stack, runs=1)["cli_step"]["case_no"]


def _stop_on_terminate(_signal: int, _frame: object) -> None:
    """A benchmark stopped with SIGTERM stops its stack too: without this, Python ends at once and
    the stack's `baoxue up` keeps its storm running under the next benchmark."""
    raise SystemExit(143)


def main() -> None:
    signal.signal(signal.SIGTERM, _stop_on_terminate)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+", help="all, or any of: " + " ".join(ORDER))
    parser.add_argument("--keep", type=Path, help="keep the scratch stack and files here")
    parser.add_argument("--storm-cases", type=int, default=10_000)
    parser.add_argument("--intake-cases", type=int, default=2_000)
    parser.add_argument("--children", type=int, default=200_000)
    parser.add_argument(
        "--sqlite-pragmas",
        help="the dev server's SQLite pragmas for this run (default: the stack's; '' for SQLite's own)",
    )
    args = parser.parse_args()
    if args.sqlite_pragmas is not None:
        os.environ["BAOXUE_TEMPORAL_SQLITE_PRAGMAS"] = args.sqlite_pragmas
    names = list(ORDER) if "all" in args.names else args.names
    unknown = set(names) - set(ORDER)
    if unknown:
        parser.error(f"unknown benchmark(s): {' '.join(sorted(unknown))}")
    if "api" in names and "cli" not in names:
        names.insert(0, "cli")  # the api benchmark notes the case the cli one opened
    started = time.perf_counter()
    figures = run(names, args)
    results = save(figures, names, time.perf_counter() - started)
    print()
    print(f"{'figure':24} {'value':>10}  target   verdict")
    for key, (sense, target) in TARGETS.items():
        if key in figures:
            shown = f"{sense} {target:g}" if target is not None else ""
            print(f"{key:24} {figures[key]:>10.3f}  {shown:8} {verdict(key, figures[key])}")
    print(f"\n{len(names)} benchmark(s) in {results['run']['seconds']} s; figures in {RESULTS}")


def _cores() -> int:
    return os.cpu_count() or 0


if __name__ == "__main__":
    main()
