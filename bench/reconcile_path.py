"""Benchmark `reconcile`: `baoxue discover` (a dry run) over the household and enrollment
registers the `import` benchmark left in the ledger — reading the rows back, reconciling, keying
and writing the suspect list, the code path `discover` really runs — against python-calamine just
reading the two files (`reconcile_ratio`, target ≤ 1.5; issue 5's bar, issue 15)."""

from __future__ import annotations

import time
from typing import Any

from bench.import_speed import IMPORTED_CAMPAIGN, calamine_seconds, county_files
from bench.stack import BenchStack
from domain.registers import RegisterKind


def measure(stack: BenchStack, children: int = 200_000) -> dict[str, Any]:
    files = county_files(stack.folder / "county", children)
    enrollment = files[RegisterKind.enrollment]
    stack.baoxue("import", "enrollment", str(enrollment), "--campaign", IMPORTED_CAMPAIGN)
    read = min(calamine_seconds(files[RegisterKind.household]) + calamine_seconds(enrollment) for _ in range(3))
    runs = []
    suspects = 0
    for _ in range(3):
        started = time.perf_counter()
        found = stack.json("discover", "--campaign", IMPORTED_CAMPAIGN)
        runs.append(time.perf_counter() - started)
        suspects = sum(found["suspected"].values())
    best = min(runs)
    return {
        "reconcile_ratio": best / read,
        "reconcile": {"discover_s": best, "calamine_s": read, "suspects": suspects},
    }
