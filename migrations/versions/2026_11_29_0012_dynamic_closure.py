"""Dynamic closure: stage due times capped at the clearance deadline, episodes and monitoring after
closure on cases; the register attributes the notice's discovery rules read (education stage, aid
item, payment date)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("due_capped", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("cases", sa.Column("episode", sa.Integer, nullable=False, server_default="1"))
    op.add_column("cases", sa.Column("next_check_at", sa.DateTime(timezone=True)))
    op.add_column("cases", sa.Column("checks_done", sa.Integer, nullable=False, server_default="0"))
    op.add_column("cases", sa.Column("checks_left", sa.Integer, nullable=False, server_default="0"))
    op.add_column("register_rows", sa.Column("education_stage", sa.String(16)))
    op.add_column("register_rows", sa.Column("aid_item", sa.String(64)))
    op.add_column("register_rows", sa.Column("paid_on", sa.Date))


def downgrade() -> None:
    for column in ("paid_on", "aid_item", "education_stage"):
        op.drop_column("register_rows", column)
    for column in ("checks_left", "checks_done", "next_check_at", "episode", "due_capped"):
        op.drop_column("cases", column)
