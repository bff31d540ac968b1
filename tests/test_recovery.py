"""Recovery drills on the real local stack (docs/deploy.md, "Backup and restore"): a backup taken
online, the data dir destroyed, a restore onto a new one with the keys kept apart, and the county
served again with every case as it was; and Temporal's database alone lost, every case rebuilt
from the ledger by `verify --repair` with the due time and level it had."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from domain.id_number import make_id_number
from tests.support.stack import RunningStack, running_stack, wait_until

pytestmark = pytest.mark.stack

CHIEF = "汪贤梁"
"""The section chief of 梅子垭镇 on the roster: `up --demo` signs them in on every data dir."""
OFFICER = "恢复演练办案员"
CAMPAIGN = """\
name: recovery
reference_date: 2026-09-01
clearance_deadline: 2027-06-05T00:00:00+08:00
calendar: calendar
drill: true
stages: {home_visit: PT6S, return_plan: P10D, return_confirmation: P10D, closure: P10D}
escalation: {level1_after: PT6S, level2_after: PT2H, repeat_every: PT2H}
"""
"""A case left at its home visit reaches level 1 within seconds and stays there for two hours:
a stable place on the ladder to compare before and after."""
STALLING = """\
name: recovery-stall
reference_date: 2026-09-01
clearance_deadline: 2027-06-05T00:00:00+08:00
calendar: calendar
drill: true
stages: {home_visit: PT3S, return_plan: P10D, return_confirmation: P10D, closure: P10D}
escalation: {level1_after: PT3S, level2_after: PT6S, repeat_every: PT3S, repeat_max: 0}
"""
"""A case whose whole ladder is spent within ten seconds: stalled, then quiet."""


def snapshot(stack: RunningStack, campaign: str = "recovery") -> dict[str, tuple[Any, ...]]:
    rows = stack.baoxue("cases", "--campaign", campaign, "--json", actor=CHIEF).json()
    return {r["case_no"]: (r["stage"], r["due_at"], r["escalation_level"], r["closed_at"], r["stalled"]) for r in rows}


def reminders(stack: RunningStack, case_no: str) -> list[tuple[int, str]]:
    rows = stack.baoxue("escalations", "--json", actor=CHIEF).json()
    return sorted((r["level"], r["at"]) for r in rows if r["case_no"] == case_no)


def open_cases(stack: RunningStack, count: int, seed: int, campaign: str = "recovery") -> list[str]:
    numbers = []
    for i in range(count):
        child = make_id_number("500243", dt.date(2013, 3, 1) + dt.timedelta(days=i), seed + i)
        opened = stack.baoxue(
            "case", "open", "--kind", "dropout", "--township", "梅子垭镇", "--campaign", campaign, "--json",
            actor=OFFICER, stdin=f"{child}\n恢复演练{i}\n",
        )  # fmt: skip
        assert opened.code == 0, opened.stderr
        numbers.append(opened.json()["case_no"])
    return numbers


def test_a_county_backed_up_destroyed_and_restored_is_served_as_it_was(tmp_path: Path) -> None:
    campaign = tmp_path / "recovery.yaml"
    campaign.write_text(CAMPAIGN, encoding="utf-8")
    stalling = tmp_path / "recovery-stall.yaml"
    stalling.write_text(STALLING, encoding="utf-8")
    first = tmp_path / "county"
    kept_keys = tmp_path / "keys-kept-apart"
    backup_dir = tmp_path / "backup"
    with running_stack(first) as stack:
        assert stack.baoxue("campaign", "add", str(campaign)).code == 0
        assert stack.baoxue("campaign", "add", str(stalling)).code == 0
        stack.add_here(OFFICER, "case_officer", "--township", "梅子垭镇")
        mid_ladder, planned, closed = open_cases(stack, 3, 401)
        (stalled,) = open_cases(stack, 1, 501, campaign="recovery-stall")
        visit = ("--finding", "confirmed", "--cause", "厌学")
        for case_no in (planned, closed):
            assert stack.baoxue("case", "visit", case_no, *visit, actor=OFFICER).code == 0
        plan = ("--placement", "original_school", "--target-date", "2027-01-05", "--responsible", "李老师:班主任")
        assert stack.baoxue("case", "plan", closed, *plan, actor=OFFICER).code == 0
        confirm = ("--school", "梅子垭镇中心校", "--evidence", "返校签到表")
        assert stack.baoxue("case", "confirm", closed, *confirm, actor=OFFICER).code == 0
        assert stack.baoxue("case", "close", closed, actor=CHIEF).code == 0  # watched: follow-ups due
        assert wait_until(lambda: snapshot(stack)[mid_ladder][2] == 1, 60)
        assert wait_until(lambda: snapshot(stack, "recovery-stall")[stalled][4] is True, 60)
        before = snapshot(stack)
        stalled_before = snapshot(stack, "recovery-stall")
        sent_before = reminders(stack, mid_ladder)
        assert [level for level, _at in sent_before] == [0, 1]
        taken = stack.baoxue("backup", "--out", str(backup_dir))
        assert taken.code == 0, taken.stderr
        assert "secret.key" in taken.stdout and taken.stderr == ""
        assert not any((backup_dir / name).exists() for name in ("secret.key", "codec-keys.json", "service.key"))
        again = stack.baoxue("backup", "--out", str(backup_dir))
        assert again.code == 2 and "不是空的" in again.stderr
        kept_keys.mkdir()
        for name in ("secret.key", "codec-keys.json", "service.key"):
            shutil.copy2(first / name, kept_keys / name)
    shutil.rmtree(first)  # the disk is lost

    restored = tmp_path / "restored"
    wrong = tmp_path / "wrong-keys"
    shutil.copytree(kept_keys, wrong)
    (wrong / "secret.key").write_bytes(b"\0" * 32)
    refused = stack.baoxue("restore", str(backup_dir), "--data-dir", str(restored), "--keys", str(wrong))
    assert refused.code == 2 and "secret.key" in refused.stderr and not restored.exists()
    done = stack.baoxue("restore", str(backup_dir), "--data-dir", str(restored), "--keys", str(kept_keys))
    assert done.code == 0, done.stderr
    busy = stack.baoxue("restore", str(backup_dir), "--data-dir", str(restored), "--keys", str(kept_keys))
    assert busy.code == 2 and "不是空的" in busy.stderr
    with running_stack(restored) as back:
        assert snapshot(back) == before  # stage, due time, level, closure: to the microsecond
        assert snapshot(back, "recovery-stall") == stalled_before  # stalled, and quiet
        checked = back.baoxue("verify", "--json")
        assert checked.code == 0, checked.stdout
        assert back.baoxue("case", "history", mid_ladder, "--json", actor=CHIEF).code == 0
        time.sleep(8)  # a rung sent twice would be written by now (the ladder's steps are 6 s)
        assert reminders(back, mid_ladder) == sent_before  # no reminder sent again


def test_temporal_lost_every_case_is_rebuilt_from_the_ledger_as_it_was(tmp_path: Path) -> None:
    """300 cases; Temporal's database deleted with the stack down; `verify --repair` restores each
    with the due time and the level it had, and a second `verify` is clean."""
    campaign = tmp_path / "recovery.yaml"
    campaign.write_text(CAMPAIGN.replace("PT6S, return_plan", "P3D, return_plan"), encoding="utf-8")
    data = tmp_path / "county"
    household = tmp_path / "household.csv"
    lines = ["姓名,身份证号,乡镇（街道）"]
    for i in range(300):
        lines.append(
            f"账本演练{i},{make_id_number('500243', dt.date(2012, 1, 1) + dt.timedelta(days=i), 600)},梅子垭镇"
        )
    household.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with running_stack(data) as stack:
        assert stack.baoxue("campaign", "add", str(campaign)).code == 0
        assert stack.baoxue("import", "household", str(household), "--campaign", "recovery").code == 0
        applied = stack.baoxue("discover", "--campaign", "recovery", "--apply", "--json", timeout=300)
        assert applied.code == 0 and applied.json()["opened"] == 300, applied.stderr
        before = snapshot(stack)
    for name in ("temporal.db", "temporal.db-wal", "temporal.db-shm"):
        (data / "temporal" / name).unlink(missing_ok=True)
    with running_stack(data) as stack:
        found = stack.baoxue("verify", "--json")
        assert found.code == 1
        repaired = stack.baoxue("verify", "--repair", "--json", timeout=600)
        assert repaired.code == 0, repaired.stdout[-2000:]
        assert snapshot(stack) == before
        assert stack.baoxue("verify", "--json").code == 0
