"""A synthetic county's five registers, as messy as real ones, with the right answers known.

Every child is invented (valid check digits, made-up names). The mess: duplicates, stray
spaces, full-width digits, `x`/`X`, townships without their suffix, headers in other words and
places, a title row above the header, GB18030 csv, ages out of range, children enrolled in
another county's school, bad check digits, impossible birth dates and unknown townships.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from domain.id_number import age_on, check_digit, make_id_number
from domain.registers import RegisterKind
from domain.roster import Roster, township_base

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "子涵浩宇欣怡梓萱俊杰雨桐思远佳琪明轩若曦嘉懿一诺安然天佑沐阳语嫣书瑶梓豪晨曦博文雅静可馨"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
REGION = "500243"
OTHER_REGION = "500242"

Format = str  # "xlsx" | "csv" | "csv-gb18030"

AID_ITEMS = {
    "学前教育": ("学前资助",),
    "义务教育": ("营养改善计划", "生活补助"),
    "高中教育": ("国家助学金", "免学杂费"),
    "职业教育": ("国家助学金", "免学费"),
}
"""The items that count per stage under the shipped 2026 campaign's aid rule (config/campaigns)."""
AID_PERIOD = (dt.date(2026, 9, 1), dt.date(2027, 8, 31))
NO_ARRANGEMENT = {"", "无", "待定", "未安置", "休学"}
"""What the generator writes that arranges nothing (a 休学 without an approval number among them)."""


@dataclass
class Child:
    id_number: str
    name: str
    township: str
    age: int


@dataclass
class Row:
    cells: dict[str, str]
    valid: bool
    id_number: str | None = None


@dataclass
class GeneratedCounty:
    files: dict[RegisterKind, Path]
    expected: dict[str, int]
    expected_rejected: int
    expected_by_township: dict[str, dict[str, int]] = field(default_factory=dict)
    children: int = 0


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _bad_check(id_number: str) -> str:
    wrong = "0" if id_number[-1] != "0" else "1"
    return id_number[:17] + wrong


def _messy_id(rng: random.Random, id_number: str) -> str:
    roll = rng.random()
    if id_number.endswith("X") and roll < 0.5:
        return id_number[:17] + "x"
    if roll < 0.05:
        return f" {id_number[:6]} {id_number[6:]} "
    if roll < 0.08:
        return id_number.translate(FULL_WIDTH)
    return id_number


def _messy_township(rng: random.Random, township: str) -> str:
    roll = rng.random()
    if roll < 0.2:
        return township_base(township)
    if roll < 0.25:
        return f" {township} "
    return township


def _messy_name(rng: random.Random, name: str) -> str:
    return f"{name[0]} {name[1:]}" if rng.random() < 0.03 and len(name) > 1 else name


def _make_children(rng: random.Random, n: int, reference: dt.date, townships: list[str]) -> list[Child]:
    children: list[Child] = []
    seen: set[str] = set()
    while len(children) < n:
        age_days = rng.randint(3 * 365, 19 * 365 + 200)
        born = reference - dt.timedelta(days=age_days)
        id_number = make_id_number(REGION, born, rng.randint(0, 999))
        if id_number in seen:
            continue
        seen.add(id_number)
        children.append(Child(id_number, _name(rng), rng.choice(townships), age_on(id_number, reference)))
    return children


def _bad_birth_date_id(rng: random.Random) -> str:
    first17 = f"{REGION}2013023{rng.randint(0, 1)}{rng.randint(0, 999):03d}"
    return first17 + check_digit(first17)


def generate_county(
    out_dir: Path,
    roster: Roster,
    *,
    children: int,
    reference_date: dt.date,
    seed: int = 7,
    formats: dict[RegisterKind, Format] | None = None,
    outsiders: int | None = None,
    aid_rule: bool = False,
) -> GeneratedCounty:
    """`outsiders`: enrollment rows of children from other counties (default children // 50).
    `aid_rule`: the answers for a campaign with the 2026 aid rule (AID_ITEMS, AID_PERIOD); a few
    payments are of another stage's item or dated before the period either way."""
    rng = random.Random(seed)
    formats = formats or {
        RegisterKind.household: "xlsx",
        RegisterKind.enrollment: "csv-gb18030",
        RegisterKind.alleviated: "csv",
        RegisterKind.aid: "xlsx",
        RegisterKind.disability: "csv",
    }
    townships = roster.townships()
    kids = _make_children(rng, children, reference_date, townships)
    rows: dict[RegisterKind, list[Row]] = {kind: [] for kind in RegisterKind}

    for kid in kids:
        roll = rng.random()
        cells = {
            "姓名": _messy_name(rng, kid.name),
            "乡镇（街道）": _messy_township(rng, kid.township),
            "村（社区）": f"{rng.choice('东南西北')}{rng.randint(1, 9)}村",
        }
        if roll < 0.01:
            rows[RegisterKind.household].append(Row({**cells, "身份证号": _bad_check(kid.id_number)}, False))
            continue
        if roll < 0.015:
            rows[RegisterKind.household].append(
                Row({**cells, "身份证号": kid.id_number, "乡镇（街道）": "海底镇"}, False)
            )
            continue
        rows[RegisterKind.household].append(
            Row({**cells, "身份证号": _messy_id(rng, kid.id_number)}, True, kid.id_number)
        )
        if roll > 0.98:
            rows[RegisterKind.household].append(
                Row({**cells, "身份证号": _messy_id(rng, kid.id_number)}, True, kid.id_number)
            )
    for _ in range(max(1, children // 500)):
        rows[RegisterKind.household].append(
            Row({"姓名": _name(rng), "身份证号": _bad_birth_date_id(rng), "乡镇（街道）": rng.choice(townships)}, False)
        )
    rows[RegisterKind.household].append(
        Row(
            {"姓名": "", "身份证号": make_id_number(REGION, dt.date(2015, 5, 5), 1), "乡镇（街道）": townships[0]},
            False,
        )
    )

    for kid in kids:
        enrolled = rng.random() < (0.95 if 6 <= kid.age <= 16 else 0.6)
        if not enrolled:
            continue
        school = f"{township_base(kid.township)}中心校" if rng.random() > 0.03 else "酉阳县某中学"
        cells = {"姓名": kid.name, "学校": school, "年级": f"{rng.randint(1, 9)}年级"}
        if rng.random() < 0.005:
            rows[RegisterKind.enrollment].append(Row({**cells, "身份证号": _bad_check(kid.id_number)}, False))
            continue
        rows[RegisterKind.enrollment].append(
            Row({**cells, "身份证号": _messy_id(rng, kid.id_number)}, True, kid.id_number)
        )
        if rng.random() < 0.01:
            rows[RegisterKind.enrollment].append(Row({**cells, "身份证号": kid.id_number}, True, kid.id_number))
    for _ in range(max(1, children // 50) if outsiders is None else outsiders):
        outsider = make_id_number(
            OTHER_REGION, reference_date - dt.timedelta(days=rng.randint(2500, 5000)), rng.randint(0, 999)
        )
        rows[RegisterKind.enrollment].append(
            Row({"姓名": _name(rng), "身份证号": outsider, "学校": "某外县小学"}, True, outsider)
        )

    for kid in kids:
        if rng.random() >= 0.08:
            continue
        stage = rng.choice(list(AID_ITEMS))
        cells = {"姓名": kid.name, "乡镇（街道）": _messy_township(rng, kid.township), "教育阶段": stage}
        if rng.random() < 0.02:
            rows[RegisterKind.alleviated].append(Row({**cells, "身份证号": _bad_check(kid.id_number)}, False))
            continue
        rows[RegisterKind.alleviated].append(
            Row({**cells, "身份证号": _messy_id(rng, kid.id_number)}, True, kid.id_number)
        )
        paid = rng.random()
        if paid < 0.85:
            for _ in range(rng.choice((1, 1, 2))):
                bad = rng.random() < 0.03
                rows[RegisterKind.aid].append(
                    Row(
                        {
                            "身份证号": _bad_check(kid.id_number) if bad else _messy_id(rng, kid.id_number),
                            "姓名": kid.name,
                            "资助项目": rng.choice(AID_ITEMS[stage] if rng.random() < 0.9 else AID_ITEMS["学前教育"]),
                            "金额": str(rng.choice((500, 800, 1000, 1500))),
                            "发放日期": "2026-10-15" if rng.random() < 0.95 else "2025/10/15",
                        },
                        not bad,
                        None if bad else kid.id_number,
                    )
                )

    for kid in kids:
        if rng.random() >= 0.015:
            continue
        arrangement = (
            "" if rng.random() < 0.3 else rng.choice(["随班就读", "特教学校", "送教上门", "休学", "无", "待定"])
        )
        cells = {
            "姓名": kid.name,
            "乡镇（街道）": _messy_township(rng, kid.township),
            "残疾类别": rng.choice(["视力", "听力", "智力", "肢体", "多重"]),
            "安置方式": arrangement,
        }
        rows[RegisterKind.disability].append(
            Row({**cells, "身份证号": _messy_id(rng, kid.id_number)}, True, kid.id_number)
        )
        if rng.random() < 0.05:
            rows[RegisterKind.disability].append(Row({**cells, "身份证号": kid.id_number}, True, kid.id_number))

    expected, by_township = _answers(rows, kids, aid_rule=aid_rule)
    files = {kind: _write(out_dir, kind, rows[kind], formats[kind], rng) for kind in formats}
    rejected = sum(1 for kind in formats for row in rows[kind] if not row.valid)
    return GeneratedCounty(files, expected, rejected, by_township, children)


def _answers(
    rows: dict[RegisterKind, list[Row]], kids: list[Child], *, aid_rule: bool
) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    by_id = {kid.id_number: kid for kid in kids}

    def valid_rows(kind: RegisterKind) -> list[Row]:
        return [row for row in rows[kind] if row.valid and row.id_number]

    def valid_ids(kind: RegisterKind) -> list[str]:
        return [row.id_number for row in valid_rows(kind) if row.id_number]

    enrolled = set(valid_ids(RegisterKind.enrollment))
    disabled = set(valid_ids(RegisterKind.disability))
    accounted = enrolled | disabled  # once: inside the comprehension it was built again for every child
    dropout = {i for i in valid_ids(RegisterKind.household) if 6 <= by_id[i].age <= 16 and i not in accounted}
    paid: dict[str, list[Row]] = {}
    for row in valid_rows(RegisterKind.aid):
        paid.setdefault(row.id_number or "", []).append(row)

    def cleared(row: Row) -> bool:
        if not aid_rule:
            return row.id_number in paid
        stage = row.cells["教育阶段"]
        return any(
            p.cells["资助项目"] in AID_ITEMS[stage] and p.cells["发放日期"] == "2026-10-15"
            for p in paid.get(row.id_number or "", [])
        )

    funding = {row.id_number for row in valid_rows(RegisterKind.alleviated) if not cleared(row)}
    arranged = {
        row.id_number for row in valid_rows(RegisterKind.disability) if row.cells["安置方式"] not in NO_ARRANGEMENT
    }
    disability = {i for i in valid_ids(RegisterKind.disability) if i not in arranged and 6 <= by_id[i].age <= 16}
    expected = {"dropout": len(dropout), "funding": len(funding), "disability": len(disability)}
    by_township: dict[str, dict[str, int]] = {}
    for kind, ids in (("dropout", dropout), ("funding", funding), ("disability", disability)):
        for i in ids:
            counts = by_township.setdefault(by_id[i].township, {"dropout": 0, "funding": 0, "disability": 0})
            counts[kind] += 1
    return expected, by_township


_HEADERS: dict[RegisterKind, list[str]] = {
    RegisterKind.household: ["姓名", "身份证号", "乡镇（街道）", "村（社区）"],
    RegisterKind.enrollment: ["姓名", "身份证号", "学校", "年级"],
    RegisterKind.alleviated: ["姓名", "身份证号", "乡镇（街道）", "教育阶段"],
    RegisterKind.aid: ["身份证号", "姓名", "资助项目", "金额", "发放日期"],
    RegisterKind.disability: ["姓名", "身份证号", "乡镇（街道）", "残疾类别", "安置方式"],
}
_VARIANTS = {
    "身份证号": ["身份证号", "身份证号码", "公民身份号码"],
    "乡镇（街道）": ["乡镇（街道）", "乡镇(街道)", "乡镇"],
}


def _write(out_dir: Path, kind: RegisterKind, rows: list[Row], fmt: Format, rng: random.Random) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    columns = ["序号", *_HEADERS[kind], "备注"]
    rng.shuffle(columns)
    shown = [rng.choice(_VARIANTS.get(c, [c])) for c in columns]
    table = [[str(n + 1) if c == "序号" else row.cells.get(c, "") for c in columns] for n, row in enumerate(rows)]
    if fmt == "xlsx":
        import xlsxwriter

        path = out_dir / f"{kind.value}.xlsx"
        workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
        sheet = workbook.add_worksheet("Sheet1")
        sheet.write_string(0, 0, f"彭水县{kind.value}登记表（合成数据）")
        for c, header in enumerate(shown):
            sheet.write_string(2, c, header)
        for r, values in enumerate(table, start=3):
            for c, value in enumerate(values):
                if value:
                    sheet.write_string(r, c, value)
        workbook.close()
        return path
    path = out_dir / f"{kind.value}.csv"
    encoding = "gb18030" if fmt == "csv-gb18030" else "utf-8-sig"
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(shown)
        writer.writerows(table)
    return path
