"""Each of the server's rules broken once, alone, and the fast suite run against it: every mutation
must make at least one test fail (docs/architecture.md, "Testing the server's rules").

    python -m tests.support.mutations [NAME ...]

Each file is restored after its run, whatever happens. Exit 1 if a mutation survives."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    before: str
    after: str


MUTATIONS = (
    Mutation(
        "request signature not checked",
        "api/auth.py",
        "        if not verify(officer.public_key, message, signature):\n",
        "        if False:\n",
    ),
    Mutation(
        "nonce reuse not checked",
        "api/auth.py",
        '        if fresh is None:\n            raise NotSignedIn(t("request_replayed"))\n',
        "",
    ),
    Mutation(
        "request time not checked",
        "api/auth.py",
        "if at.tzinfo is None or abs(now - at) > MAX_CLOCK_SKEW:",
        "if at.tzinfo is None:",
    ),
    Mutation(
        "scope of case reads disabled",
        "starter/access.py",
        "def require_case_access(ctx: Context, actor: Actor, case: Case, action: str) -> None:\n",
        "def require_case_access(ctx: Context, actor: Actor, case: Case, action: str) -> None:\n    return\n",
    ),
    Mutation("audit chain never broken", "ledger/audit.py", "    return broken\n", "    return []\n"),
    Mutation(
        "a note's text in the plain event columns",
        "domain/privacy.py",
        '        "episode",\n    }\n)\n',
        '        "episode",\n        "text",\n    }\n)\n',
    ),
    Mutation("ID numbers not masked in logs", "config/logging.py", "        mask_id_numbers,\n", ""),
    Mutation(
        "failures cross Temporal in plain text",
        "config/payload_codec.py",
        "        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,\n",
        "",
    ),
    Mutation(
        "discovery ignores the campaign's no-arrangement words",
        "ledger/registers.py",
        "lambda text: is_arranged(text, none)",
        "lambda text: is_arranged(text)",
    ),
    Mutation(
        "discovery fails open: any word but a leaving one counts as in school",
        "domain/discovery.py",
        "        if status == Attendance.present or (status == Attendance.suspended and arranged)\n",
        "        if status != Attendance.left\n",
    ),
    Mutation(
        "an event's seal not checked",
        "ledger/event_seals.py",
        "        if cipher.seal(text) != e.seal:\n",
        "        if False:\n",
    ),
    Mutation(
        "reminders resolved by name, not by the ids the case recorded",
        "ledger/projection.py",
        "    if ids is not None and len(ids) == len(names):\n        return list(zip(names, ids, strict=True))\n"
        "    known = _people_of(state)\n",
        "    known: dict[str, int] = {}\n",
    ),
    Mutation(
        "a school's list replaces every school's",
        "domain/register_scopes.py",
        "    return old.scope == Scope.school and old.unit == new.unit\n",
        "    return True\n",
    ),
    Mutation(
        "a pupil judged where no attendance list speaks for their school",
        "domain/discovery.py",
        "        return self.everywhere or township in self.townships or (school is not None and school in"
        " self.schools)\n",
        "        return True\n",
    ),
    Mutation(
        "a school that reported is chased as late",
        "activities/rechecks.py",
        "late=tuple(s.name for s in schools if s.name not in reported)",
        "late=tuple(s.name for s in schools)",
    ),
    Mutation(
        "送教上门 no longer watched once the follow-up checks end",
        "workflows/case.py",
        "        if watch.checks_left > 0 or watch.sessions_per_month:\n",
        "        if watch.checks_left > 0:\n",
    ),
)


def survives(mutation: Mutation) -> bool:
    path = ROOT / mutation.path
    original = path.read_text(encoding="utf-8")
    if mutation.before not in original:
        raise SystemExit(f"{mutation.name}: {mutation.path} no longer has the code this mutation changes")
    path.write_text(original.replace(mutation.before, mutation.after, 1), encoding="utf-8")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-m", "not stack", "-p", "no:cacheprovider"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    finally:
        path.write_text(original, encoding="utf-8")
    failed = next((line for line in done.stdout.splitlines() if line.startswith("FAILED")), "")
    print(f"{'SURVIVED' if done.returncode == 0 else 'caught  '}  {mutation.name}  {failed}", flush=True)
    return done.returncode == 0


def main(names: list[str]) -> int:
    chosen = [m for m in MUTATIONS if not names or m.name in names]
    survivors = [m.name for m in chosen if survives(m)]
    return 1 if survivors else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
