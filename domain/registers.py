"""The registers offices keep (户籍, 学籍, 在校生名单, 脱贫户学生, 资助发放, 残疾儿童, 重点群体): their
columns as officials head them, and what a row must hold to count."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import compress
from operator import itemgetter


class RegisterKind(StrEnum):
    household = "household"
    enrollment = "enrollment"
    alleviated = "alleviated"
    aid = "aid"
    disability = "disability"
    attendance = "attendance"
    priority = "priority"


class Column(StrEnum):
    name = "name"
    id_number = "id_number"
    township = "township"
    village = "village"
    school = "school"
    grade = "grade"
    education_level = "education_level"
    aid_item = "aid_item"
    amount = "amount"
    paid_on = "paid_on"
    disability_category = "disability_category"
    arrangement = "arrangement"
    status = "status"
    category = "category"
    guardian = "guardian"
    phone = "phone"
    sex = "sex"


HEADER_ALIASES: dict[Column, tuple[str, ...]] = {
    Column.name: ("姓名", "学生姓名", "儿童姓名"),
    Column.id_number: ("身份证号", "身份证号码", "公民身份号码", "身份证件号码"),
    Column.township: ("乡镇(街道)", "乡镇", "街道", "乡镇街道"),
    Column.village: ("村(社区)", "村", "社区", "村社区"),
    Column.school: ("学校", "学校名称", "就读学校"),
    Column.grade: ("年级",),
    Column.education_level: ("教育阶段", "学段"),
    Column.aid_item: ("资助项目",),
    Column.amount: ("金额", "资助金额"),
    Column.paid_on: ("发放日期",),
    Column.disability_category: ("残疾类别",),
    Column.arrangement: ("安置方式", "审批文号", "休学审批", "批准文号"),
    Column.status: ("学籍状态", "在校状态", "在校情况", "在校", "状态"),
    Column.category: ("重点群体类别", "类别", "群体类别", "困境类别"),
    Column.guardian: ("监护人", "监护人姓名", "家长姓名"),
    Column.phone: ("联系电话", "电话", "监护人电话", "家长电话", "手机号码"),
    Column.sex: ("性别",),
}

HEADER_LABELS: dict[Column, str] = {
    Column.name: "姓名",
    Column.id_number: "身份证号",
    Column.township: "乡镇（街道）",
    Column.village: "村（社区）",
    Column.school: "学校",
    Column.grade: "年级",
    Column.education_level: "教育阶段",
    Column.aid_item: "资助项目",
    Column.amount: "金额",
    Column.paid_on: "发放日期",
    Column.disability_category: "残疾类别",
    Column.arrangement: "安置方式",
    Column.status: "学籍状态",
    Column.category: "类别",
    Column.guardian: "监护人",
    Column.phone: "联系电话",
    Column.sex: "性别",
}


@dataclass(frozen=True)
class RegisterSpec:
    kind: RegisterKind
    label: str
    required: tuple[Column, ...]
    optional: tuple[Column, ...] = ()


REGISTERS: dict[RegisterKind, RegisterSpec] = {
    RegisterKind.household: RegisterSpec(
        RegisterKind.household, "户籍", (Column.name, Column.id_number, Column.township), (Column.village,)
    ),
    RegisterKind.enrollment: RegisterSpec(
        RegisterKind.enrollment,
        "学籍",
        (Column.name, Column.id_number, Column.school),
        (Column.grade, Column.township),
    ),
    RegisterKind.attendance: RegisterSpec(
        RegisterKind.attendance,
        "在校生名单",
        (Column.name, Column.id_number, Column.school),
        (Column.status, Column.arrangement, Column.grade, Column.township),
    ),
    RegisterKind.priority: RegisterSpec(
        RegisterKind.priority,
        "重点群体",
        (Column.name, Column.id_number, Column.category),
        (Column.township, Column.village),
    ),
    RegisterKind.alleviated: RegisterSpec(
        RegisterKind.alleviated,
        "脱贫户学生",
        (Column.name, Column.id_number, Column.township),
        (Column.education_level, Column.village),
    ),
    RegisterKind.aid: RegisterSpec(
        RegisterKind.aid, "资助发放", (Column.id_number, Column.aid_item), (Column.name, Column.amount, Column.paid_on)
    ),
    RegisterKind.disability: RegisterSpec(
        RegisterKind.disability,
        "残疾儿童",
        (Column.name, Column.id_number, Column.township, Column.arrangement),
        (Column.disability_category,),
    ),
}


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def column_values(rows: list[list[object]], at: int | None) -> list[object]:
    """One column's raw cells (blank where a short row has none); each check turns them into
    text only where it must."""
    if at is None:
        return [""] * len(rows)
    try:
        return list(map(itemgetter(at), rows))
    except IndexError:
        return [row[at] if at < len(row) else "" for row in rows]


def row_cells(keys: list[str], row: list[object]) -> dict[str, str]:
    """A row's non-empty cells as text under their keys (a later cell under a key seen before wins)."""
    out: dict[str, str] = {}
    for key, value in zip(keys, row, strict=False):
        text = value.strip() if type(value) is str else cell_text(value)
        if text:
            out[key] = text
    return out


_HEADER_NOISE = re.compile(r"[\s\u3000*＊:：]+")


def normalise_header(text: object) -> str:
    """`乡镇（街道）`, `乡镇(街道)` and ` 乡镇 (街道)* ` are one header."""
    value = str(text) if text is not None else ""
    value = value.replace("（", "(").replace("）", ")")
    return _HEADER_NOISE.sub("", value)


_ALIAS_TO_COLUMN = {normalise_header(alias): column for column, aliases in HEADER_ALIASES.items() for alias in aliases}


def column_for(header: object) -> Column | None:
    return _ALIAS_TO_COLUMN.get(normalise_header(header))


@dataclass(frozen=True)
class Rejection:
    row_no: int
    column: str
    reason: str
    value: str


@dataclass(frozen=True)
class ValidRow:
    row_no: int
    id_number: str
    township: str | None
    cells: dict[str, str]


@dataclass
class ParsedRegister:
    """A register read and validated, column-wise: the valid rows' numbers, ID numbers and
    townships side by side; their cells kept raw and turned into text only when stored."""

    kind: RegisterKind
    header_row_no: int
    columns: dict[Column, int]
    headers: list[str]
    row_nos: list[int] = field(default_factory=list)
    id_numbers: list[str] = field(default_factory=list)
    townships: list[str | None] = field(default_factory=list)
    raw_rows: list[list[object]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    rejected_rows: int = 0
    blank_rows: int = 0
    _keys: list[str] = field(default_factory=list, repr=False)

    @property
    def data_rows(self) -> int:
        return len(self.row_nos) + self.rejected_rows

    @property
    def valid_rows(self) -> int:
        return len(self.row_nos)

    def drop(self, rejected: dict[int, Rejection]) -> None:
        """Valid rows found bad afterwards (a birth the campaign's reference date cannot hold)
        leave the valid rows, each listed with its reason."""
        if not rejected:
            return
        keep = [i not in rejected for i in range(len(self.row_nos))]
        self.row_nos = list(compress(self.row_nos, keep))
        self.id_numbers = list(compress(self.id_numbers, keep))
        self.townships = list(compress(self.townships, keep))
        self.raw_rows = list(compress(self.raw_rows, keep))
        self.rejections = sorted([*self.rejections, *rejected.values()], key=lambda r: r.row_no)
        self.rejected_rows += len(rejected)

    def cells(self, index: int) -> dict[str, str]:
        """The valid row's non-empty cells under their normalised headers."""
        return row_cells(self.cell_keys(), self.raw_rows[index])

    def cell_keys(self) -> list[str]:
        """The normalised headers, worked out once a file rather than once a row."""
        if len(self._keys) != len(self.headers):
            self._keys[:] = [normalise_header(h) or f"col{n + 1}" for n, h in enumerate(self.headers)]
        return self._keys


class Attendance(StrEnum):
    """What an attendance row says of a child (学籍状态, or the row's presence when the list has no
    such column)."""

    present = "present"
    suspended = "suspended"
    transferred = "transferred"
    left = "left"
    other = "other"
    """A word the rules do not know: not in school, and not raised either — the child goes on the
    review list for the township to answer (discovery fails closed, never open)."""


ATTENDANCE_WORDS: dict[str, Attendance] = {
    **dict.fromkeys(("在读", "在校", "在籍在读", "正常", "是", "√", "✓", "1", "Y", "y"), Attendance.present),
    **dict.fromkeys(("休学", "缓学"), Attendance.suspended),
    **dict.fromkeys(("转学", "转出", "转入"), Attendance.transferred),
    **dict.fromkeys(
        (
            "其他离校", "离校", "辍学", "退学", "失学", "否", "×", "0", "N", "n", "未到校", "不在校", "离校未归",
            "流失", "长期请假", "停学", "未报到", "缺课", "长期缺课", "出国", "出境", "死亡", "已死亡",
        ),
        Attendance.left,
    ),
}  # fmt: skip
"""Only `present` (and `suspended` with an approved arrangement) is in school. `transferred` is not:
a child who moved counts as in school only where another list shows them present. 出国 and 死亡
are out of school too: the township excludes such a case with its proof."""


def attendance_of(value: str | None) -> Attendance:
    """A blank or missing status is the row's presence on the list: the child is in school."""
    text = "".join((value or "").split())
    if not text:
        return Attendance.present
    return ATTENDANCE_WORDS.get(text, Attendance.other)


class PriorityCategory(StrEnum):
    """The priority groups the national practice names, and formerly poor households."""

    orphan = "orphan"
    unsupported = "unsupported"
    left_behind = "left_behind"
    migrant = "migrant"
    disabled = "disabled"
    alleviated = "alleviated"
    other = "other"


PRIORITY_WORDS: dict[str, PriorityCategory] = {
    "孤儿": PriorityCategory.orphan,
    "事实无人抚养": PriorityCategory.unsupported,
    "事实无人抚养儿童": PriorityCategory.unsupported,
    "留守": PriorityCategory.left_behind,
    "留守儿童": PriorityCategory.left_behind,
    "随迁": PriorityCategory.migrant,
    "随迁子女": PriorityCategory.migrant,
    "流动儿童": PriorityCategory.migrant,
    "残疾": PriorityCategory.disabled,
    "残疾儿童": PriorityCategory.disabled,
    "脱贫户": PriorityCategory.alleviated,
    "脱贫家庭": PriorityCategory.alleviated,
}
_CATEGORY_SEPARATORS = re.compile(r"[、,，;；/|\s]+")


def priority_categories(value: str | None) -> tuple[PriorityCategory, ...]:
    """`孤儿、残疾` → (orphan, disabled); a word not on the list counts as other."""
    found: list[PriorityCategory] = []
    for word in _CATEGORY_SEPARATORS.split(value or ""):
        if word:
            category = PRIORITY_WORDS.get(word, PriorityCategory.other)
            if category not in found:
                found.append(category)
    return tuple(found)
