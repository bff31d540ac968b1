"""Four small registers with known answers for 四查三比对 (invented children, valid check digits):

- A: in 户籍 and 学籍, on no attendance list → enrolled_not_attending;
- B: in 户籍 and 学籍, listed by the school as 其他离校 → enrolled_not_attending;
- C: in 户籍 and 学籍, listed as 休学 with an approval number → not a suspect;
- D: in 户籍 only → never_enrolled; also an orphan on the priority register and on the alleviated
  register (so a priority case, flagged return_to_poverty_risk, and a funding suspect);
- E: in 户籍 and 学籍, 在读 → not a suspect.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from domain.id_number import make_id_number
from domain.registers import RegisterKind

CAMPAIGN_YAML = """name: four-checks
description: 四查三比对测试
reference_date: 2026-09-01
clearance_deadline: 2027-06-05T00:00:00+08:00
calendar: workdays
stages: {home_visit: P3D, return_plan: P5D, return_confirmation: P15D, closure: P3D}
priority: {home_visit: P1D, return_plan: P3D}
rechecks:
  - {name: 学校月报, monthly: first_workday, within: P3D}
  - {name: 学期复查, dates: [2027-02-22], within: P5D}
"""


@dataclass(frozen=True)
class FourChecks:
    files: dict[RegisterKind, Path]
    ids: dict[str, str]
    """Letter → ID number."""


def write_four_checks(folder: Path) -> FourChecks:
    folder.mkdir(parents=True, exist_ok=True)
    ids = {letter: make_id_number("500243", dt.date(2014, 3, 1 + n), 410 + n) for n, letter in enumerate("ABCDE")}
    names = {"A": "甲小一", "B": "乙小二", "C": "丙小三", "D": "丁小四", "E": "戊小五"}
    tables: dict[RegisterKind, list[list[str]]] = {
        RegisterKind.household: [["姓名", "身份证号", "乡镇（街道）"]]
        + [[names[k], ids[k], "梅子垭镇"] for k in "ABCDE"],
        RegisterKind.enrollment: [["学生姓名", "身份证号码", "就读学校"]]
        + [[names[k], ids[k], "梅子垭中学"] for k in "ABCE"],
        RegisterKind.attendance: [
            ["姓名", "身份证号", "学校", "学籍状态", "审批文号"],
            [names["B"], ids["B"], "梅子垭中学", "其他离校", ""],
            [names["C"], ids["C"], "梅子垭中学", "休学", "彭教休〔2026〕3号"],
            [names["E"], ids["E"], "梅子垭中学", "在读", ""],
        ],
        RegisterKind.priority: [["姓名", "身份证号", "类别", "乡镇"], [names["D"], ids["D"], "孤儿", "梅子垭镇"]],
        RegisterKind.alleviated: [["姓名", "身份证号", "乡镇（街道）"], [names["D"], ids["D"], "梅子垭镇"]],
    }
    files = {}
    for kind, rows in tables.items():
        path = folder / f"{kind.value}.csv"
        path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
        files[kind] = path
    return FourChecks(files, ids)
