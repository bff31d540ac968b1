"""Provisional identities and merges: students.provisional (a child recorded without an ID
number), cases.provisional (shown wherever the case is), cases.merged_into (closed into the same
child's other case), cases.exclusion_check_due (an exclusion drawn for the group's check); one
case a child, kind and campaign now counts only cases not merged away

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.roles import GRANTS

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("students", sa.Column("provisional", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("cases", sa.Column("provisional", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("cases", sa.Column("merged_into", sa.Uuid, nullable=True))
    op.add_column("cases", sa.Column("exclusion_check_due", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_cases_merged_into", "cases", ["merged_into"])
    op.drop_constraint("uq_cases_one_per_child", "cases", type_="unique")
    op.create_index(
        "uq_cases_one_per_child",
        "cases",
        ["campaign", "kind", "student_id"],
        unique=True,
        postgresql_where=sa.text("merged_into IS NULL"),
    )
    op.execute(GRANTS)


def downgrade() -> None:
    op.drop_index("uq_cases_one_per_child", "cases")
    op.create_unique_constraint("uq_cases_one_per_child", "cases", ["campaign", "kind", "student_id"])
    op.drop_index("ix_cases_merged_into", "cases")
    op.drop_column("cases", "exclusion_check_due")
    op.drop_column("cases", "merged_into")
    op.drop_column("cases", "provisional")
    op.drop_column("students", "provisional")
