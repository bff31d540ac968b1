from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from config import DEFAULT_ROSTER_FILE
from config.roster_file import RosterError, load_roster
from domain.roster import UnknownTownshipError

# The attachment of 彭水教委发〔2021〕145号, row by row:
# (group, leader, area, section, chief, office, head, townships)
NOTICE = [
    (
        1,
        "朱洪斌",
        "新田片区",
        "基建科",
        "冉启怀",
        "新田片区教育督导办公室",
        "陈明凡",
        "万足镇、鹿角镇、善感乡、双龙乡、石盘乡",
    ),
    (
        1,
        "朱洪斌",
        "新田片区",
        "人事科",
        "钱小川",
        "新田片区教育督导办公室",
        "陈明凡",
        "新田镇、桑柘镇、大同镇、桐楼乡、诸佛乡",
    ),
    (1, "朱洪斌", "新田片区", "党办", "汪贤梁", "新田片区教育督导办公室", "陈明凡", "梅子垭镇、鞍子镇"),
    (
        2,
        "周勇",
        "保家片区",
        "安全科",
        "王世斌",
        "保家片区教育督导办公室",
        "谢德良",
        "郁山镇、连湖镇、龙溪镇、石柳乡、联合乡、走马乡、芦塘乡",
    ),
    (2, "周勇", "保家片区", "督导室", "谭光武", "保家片区教育督导办公室", "谢德良", "保家镇、长生镇、乔梓乡"),
    (
        3,
        "任牮交",
        "靛水片区",
        "财务科",
        "张勇",
        "靛水片区教育督导办公室",
        "李顺华",
        "靛水街道、润溪乡、大垭乡、黄家镇、龙塘乡、朗溪乡",
    ),
    (
        4,
        "陈代全",
        "高谷片区",
        "教育科",
        "黎明",
        "高谷片区教育督导办公室",
        "陶小明",
        "普子镇、太原镇、棣棠乡、三义乡、高谷镇、龙射镇、平安镇、鹿鸣乡",
    ),
    (5, "刘敏", "县城片区", "办公室", "谢江陵", "县城片区教育督导办公室", "何本权", "汉葭街道、绍庆街道、岩东乡"),
]
EXPECTED = {
    township: {
        "township": township,
        "group": g,
        "group_leader": leader,
        "area": area,
        "section": section,
        "section_chief": chief,
        "office": office,
        "office_head": head,
    }
    for g, leader, area, section, chief, office, head, townships in NOTICE
    for township in townships.split("、")
}


@pytest.fixture(scope="module")
def roster():
    return load_roster(DEFAULT_ROSTER_FILE)


def test_all_39_townships_each_once(roster) -> None:
    names = roster.townships()
    assert len(names) == 39
    assert len(set(names)) == 39
    assert set(names) == set(EXPECTED)
    assert len(roster.groups) == 5


@pytest.mark.parametrize("township", sorted(EXPECTED))
def test_every_chain_matches_the_notice(roster, township: str) -> None:
    assert roster.resolve(township).model_dump() == EXPECTED[township]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("梅子垭", "梅子垭镇"),
        ("梅子垭镇", "梅子垭镇"),
        (" 梅子垭 镇 ", "梅子垭镇"),
        ("靛水", "靛水街道"),
        ("岩东", "岩东乡"),
        ("汉葭街道", "汉葭街道"),
        ("\u3000善感乡", "善感乡"),
    ],
)
def test_suffix_and_spaces_optional(roster, given: str, expected: str) -> None:
    assert roster.resolve(given).township == expected


def test_unknown_township_suggests_close_names(roster) -> None:
    with pytest.raises(UnknownTownshipError) as raised:
        roster.resolve("梅子丫镇")
    assert "梅子垭镇" in raised.value.suggestions


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "roster.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_roster_check_reports_every_problem_with_its_place(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_ROSTER_FILE.read_text(encoding="utf-8"))
    data["groups"][1]["sections"][0]["townships"].append("梅子垭")  # listed twice
    data["groups"][2]["office_head"] = ""  # a missing person
    data["groups"][3]["sections"][0]["townships"] = []  # an empty section
    with pytest.raises(RosterError) as raised:
        load_roster(_write(tmp_path, data))
    places = {p.place: p.message for p in raised.value.problems}
    assert "groups[1].sections[0].townships[7]" in places
    assert "groups[0].sections[2].townships[0]" in places["groups[1].sections[0].townships[7]"]
    assert "groups[2].office_head" in places
    assert "groups[3].sections[0].townships" in places
    assert len(raised.value.problems) == 3


def test_roster_check_rejects_a_file_that_is_not_a_roster(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(RosterError):
        load_roster(path)
