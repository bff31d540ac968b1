"""`baoxue roster …` from outside: `show` asks the server (signed in as the stack's admin);
`check` reads a file on this machine and needs no services."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from config import DEFAULT_ROSTER_FILE
from tests.support.stack import BAOXUE, RunningStack, running_stack, stack_env
from tests.test_roster import EXPECTED


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with running_stack(tmp_path_factory.mktemp("roster") / "data") as running:
        yield running


def baoxue(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BAOXUE, *args], capture_output=True, text=True, env={**stack_env(tmp_path), **env}, timeout=60
    )


@pytest.mark.stack
def test_show_meiziya_json(stack: RunningStack) -> None:
    done = stack.baoxue("roster", "show", "梅子垭", "--json")
    assert done.code == 0, done.stderr
    assert done.json() == {
        "township": "梅子垭镇",
        "group": 1,
        "group_leader": "朱洪斌",
        "area": "新田片区",
        "section": "党办",
        "section_chief": "汪贤梁",
        "office": "新田片区教育督导办公室",
        "office_head": "陈明凡",
    }


@pytest.mark.stack
def test_show_whole_table_json(stack: RunningStack) -> None:
    rows = stack.baoxue("roster", "show", "--json").json()
    assert len(rows) == 39
    assert {row["township"]: row for row in rows} == EXPECTED


@pytest.mark.stack
def test_unknown_township_exit_2_with_suggestions(stack: RunningStack) -> None:
    done = stack.baoxue("roster", "show", "梅子丫")
    assert done.code == 2
    assert "梅子垭镇" in done.stderr and "Traceback" not in done.stderr
    english = stack.baoxue("roster", "show", "梅子丫", extra_env={"BAOXUE_LANG": "en"})
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
