"""`baoxue roster …` from outside: no services needed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from config import DEFAULT_ROSTER_FILE
from tests.support.stack import BAOXUE, stack_env
from tests.test_roster import EXPECTED


def baoxue(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BAOXUE, *args], capture_output=True, text=True, env={**stack_env(tmp_path), **env}, timeout=60
    )


def test_show_meiziya_json(tmp_path: Path) -> None:
    done = baoxue("roster", "show", "梅子垭", "--json", tmp_path=tmp_path)
    assert done.returncode == 0
    assert json.loads(done.stdout) == {
        "township": "梅子垭镇",
        "group": 1,
        "group_leader": "朱洪斌",
        "area": "新田片区",
        "section": "党办",
        "section_chief": "汪贤梁",
        "office": "新田片区教育督导办公室",
        "office_head": "陈明凡",
    }


def test_show_whole_table_json(tmp_path: Path) -> None:
    done = baoxue("roster", "show", "--json", tmp_path=tmp_path)
    rows = json.loads(done.stdout)
    assert len(rows) == 39
    assert {row["township"]: row for row in rows} == EXPECTED


def test_unknown_township_exit_2_with_suggestions(tmp_path: Path) -> None:
    done = baoxue("roster", "show", "梅子丫", tmp_path=tmp_path)
    assert done.returncode == 2
    assert "梅子垭镇" in done.stderr and "Traceback" not in done.stderr
    english = baoxue("roster", "show", "梅子丫", tmp_path=tmp_path, BAOXUE_LANG="en")
    assert "unknown township" in english.stderr


@pytest.mark.parametrize("broken", [False, True])
def test_roster_check(tmp_path: Path, broken: bool) -> None:
    data = yaml.safe_load(DEFAULT_ROSTER_FILE.read_text(encoding="utf-8"))
    if broken:
        data["groups"][0]["sections"][0]["townships"].append("郁山")
    path = tmp_path / "roster.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    done = baoxue("roster", "check", str(path), tmp_path=tmp_path)
    assert done.returncode == (2 if broken else 0)
    if broken:
        assert "groups[0].sections[0].townships[5]" in done.stderr
