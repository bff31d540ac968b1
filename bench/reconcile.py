"""Benchmark: reconciling household against enrollment from xlsx, against just reading them.

Target (issue 5): reconcile ≤ 1.5 × the time python-calamine needs to read the two files,
both measured here, in the same run, one file after the other. Reconcile: read with calamine,
find the header row, validate every row (ID number batch: characters, birth date, check digit;
township against the roster; name present), count ages on the reference date, match, and key
the suspects by their HMAC.

    python bench/reconcile.py [--children 200000] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from python_calamine import CalamineWorkbook  # noqa: E402

from bench.county import generate_county  # noqa: E402
from config import DEFAULT_ROSTER_FILE  # noqa: E402
from config.roster_file import load_roster  # noqa: E402
from domain.discovery import RegisterColumns, dropout_suspects  # noqa: E402
from domain.registers import RegisterKind  # noqa: E402
from ledger.personal import PersonalDataCipher  # noqa: E402
from starter.id_batch import ages_on  # noqa: E402
from starter.register_files import parse_register, read_table  # noqa: E402

REFERENCE = dt.date(2026, 9, 1)


def calamine_read(paths: list[Path]) -> int:
    rows = 0
    for path in paths:
        rows += len(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False))
    return rows


def reconcile(household: Path, enrollment: Path, roster, cipher: PersonalDataCipher) -> int:
    """Within one process the normalised ID number is the match key; only the suspects, which
    leave the process, are keyed by the HMAC (as `import` keys every stored row)."""
    columns: dict[RegisterKind, RegisterColumns] = {}
    for kind, path in ((RegisterKind.household, household), (RegisterKind.enrollment, enrollment)):
        parsed = parse_register(read_table(path), kind, roster)
        columns[kind] = RegisterColumns(
            kind.value,
            keys=parsed.id_numbers,
            file_ids=[0] * parsed.valid_rows,
            row_nos=parsed.row_nos,
            townships=parsed.townships,
            ages=ages_on(parsed.id_numbers, REFERENCE.year, REFERENCE.month, REFERENCE.day),  # type: ignore[arg-type]
            arranged=[False] * parsed.valid_rows,
        )
    suspects = dropout_suspects(columns[RegisterKind.household], columns[RegisterKind.enrollment])
    keyed = {cipher.child_key(suspect.key): suspect for suspect in suspects}
    return len(keyed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="Write the generated files here (and reuse them)")
    args = parser.parse_args()
    roster = load_roster(DEFAULT_ROSTER_FILE)
    cipher = PersonalDataCipher(b"\x42" * 32)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        household, enrollment = folder / "household.xlsx", folder / "enrollment.xlsx"
        if not (household.exists() and enrollment.exists()):
            started = time.perf_counter()
            formats = {RegisterKind.household: "xlsx", RegisterKind.enrollment: "xlsx"}
            # Other counties' pupils fill the enrollment register up to as many rows as the household one.
            generate_county(
                folder,
                roster,
                children=args.children,
                reference_date=REFERENCE,
                formats=formats,
                outsiders=args.children * 15 // 100,
            )
            print(f"generated {args.children} children in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        rows = calamine_read([household, enrollment])
        print(f"rows: {rows} (household + enrollment, header and title rows included)")
        reads, reconciles = [], []
        suspects = 0
        for _ in range(args.repeat):
            started = time.perf_counter()
            calamine_read([household, enrollment])
            reads.append(time.perf_counter() - started)
            started = time.perf_counter()
            suspects = reconcile(household, enrollment, roster, cipher)
            reconciles.append(time.perf_counter() - started)
        read, full = min(reads), min(reconciles)
        print(f"python-calamine read only: {read:.3f}s (best of {args.repeat})")
        print(
            f"reconcile (read + validate + key + match): {full:.3f}s (best of {args.repeat}); "
            f"{suspects} suspected dropouts"
        )
        ratio = full / read
        print(f"ratio: {ratio:.2f} (target ≤ 1.50) {'OK' if ratio <= 1.5 else 'OVER'}")


if __name__ == "__main__":
    main()
