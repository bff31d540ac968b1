"""四查三比对: the attendance status and priority category of register rows; a case's reason,
priority groups and return-to-poverty risk

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("register_rows", sa.Column("status", sa.String(16)))
    op.add_column("register_rows", sa.Column("category", sa.String(64)))
    op.add_column("cases", sa.Column("reason", sa.String(32)))
    op.add_column("cases", sa.Column("priority", sa.String(128), nullable=False, server_default=""))
    op.add_column("cases", sa.Column("poverty_risk", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    for column in ("poverty_risk", "priority", "reason"):
        op.drop_column("cases", column)
    for column in ("category", "status"):
        op.drop_column("register_rows", column)
