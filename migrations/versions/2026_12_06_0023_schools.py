"""schools: the county's schools, each in one township, who report attendance every month;
officers.school: a school officer's school; cases.school: the school that reported the case

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.roles import GRANTS

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schools",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("township", sa.String(32), nullable=False, index=True),
        sa.Column("stage", sa.String(16)),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.add_column("officers", sa.Column("school", sa.String(64), nullable=True))
    op.add_column("cases", sa.Column("school", sa.String(64), nullable=True))
    op.create_index("ix_cases_school", "cases", ["school"])
    op.execute(GRANTS)


def downgrade() -> None:
    op.drop_index("ix_cases_school", "cases")
    op.drop_column("cases", "school")
    op.drop_column("officers", "school")
    op.drop_table("schools")
