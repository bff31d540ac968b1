"""The columns of the ledgers a county keeps (docs/cli.md, `ledger`): each book's keys in its
order, with their Chinese headers. A campaign may choose and order a book's columns
(`ledger_columns`); the workbook and `ledger --wide` show the campaign's choice. Standard library
only (the CLI reads the headers)."""

from __future__ import annotations

from domain.i18n import N_

CHILDREN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("township", N_("乡镇（街道）")),
    ("village", N_("村（社区）")),
    ("name_masked", N_("姓名（已遮蔽）")),
    ("id_masked", N_("身份证号（已遮蔽）")),
    ("sex", N_("性别")),
    ("birth_date", N_("出生日期")),
    ("age", N_("年龄")),
    ("guardian_masked", N_("监护人（已遮蔽）")),
    ("phone_masked", N_("联系电话（已遮蔽）")),
    ("enrolled", N_("有学籍")),
    ("school", N_("学校")),
    ("grade", N_("年级")),
    ("attendance", N_("在校状态")),
    ("priority_groups", N_("重点群体")),
    ("case_no", N_("案件编号")),
    ("case_stage", N_("案件阶段")),
    ("case_outcome", N_("案件结果")),
    ("responsible", N_("包保责任人")),
)
SUSPECTED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("case_no", N_("案件编号")),
    ("township", N_("乡镇（街道）")),
    ("id_masked", N_("身份证号（已遮蔽）")),
    ("reason", N_("疑似原因")),
    ("priority", N_("重点群体")),
    ("responsible", N_("包保责任人（1）")),
    ("helpers", N_("帮扶人（N）")),
    ("stage", N_("阶段")),
    ("opened_at", N_("立案时间")),
    ("outcome", N_("结果")),
    ("closed_at", N_("销号时间")),
    ("exclude_reason", N_("排除原因")),
    ("transfers", N_("乡镇间转接")),
    ("transfer_pending_to", N_("转出待接收")),
    ("provisional", N_("临时身份")),
)
DROPOUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("case_no", N_("案件编号")),
    ("township", N_("乡镇（街道）")),
    ("id_masked", N_("身份证号（已遮蔽）")),
    ("causes", N_("辍学原因")),
    ("placement", N_("复学方案")),
    ("responsible", N_("包保责任人（1）")),
    ("helpers", N_("帮扶人（N）")),
    ("attempts", N_("劝返次数")),
    ("last_attempt_on", N_("最近劝返日期")),
    ("attempt_log", N_("劝返记录")),
    ("returned_on", N_("返校日期")),
    ("return_school", N_("返校学校")),
    ("xueji_status", N_("学籍变动")),
    ("stage", N_("阶段")),
    ("outcome", N_("结果")),
    ("closed_at", N_("销号时间")),
    ("exclude_reason", N_("排除原因")),
    ("transfers", N_("乡镇间转接")),
    ("transfer_pending_to", N_("转出待接收")),
    ("provisional", N_("临时身份")),
)
XUEJI_COLUMNS: tuple[tuple[str, str], ...] = (
    ("case_no", N_("案件编号")),
    ("township", N_("乡镇（街道）")),
    ("id_masked", N_("身份证号（已遮蔽）")),
    ("outcome", N_("结果")),
    ("closed_at", N_("销号时间")),
    ("xueji_needed", N_("需办学籍变动")),
    ("status", N_("办理状态")),
    ("done_by", N_("经办人")),
    ("done_on", N_("办理日期")),
)
BOOK_SHEETS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "children": (N_("适龄儿童台账"), CHILDREN_COLUMNS),
    "suspected": (N_("疑似辍学学生台账"), SUSPECTED_COLUMNS),
    "dropouts": (N_("辍学学生台账"), DROPOUT_COLUMNS),
    "xueji": (N_("学籍变动台账"), XUEJI_COLUMNS),
}


def book_columns(book: str, chosen: list[str] | None) -> tuple[tuple[str, str], ...]:
    """The book's columns: the campaign's choice, in its order (keys it does not know are left
    out), else all of them."""
    columns = BOOK_SHEETS[book][1]
    if not chosen:
        return columns
    known = dict(columns)
    return tuple((key, known[key]) for key in chosen if key in known)
