"""register_files.scope, scope_unit: what a register file speaks for — the county, one township or
one school — so that a school's monthly list replaces only its own rows; register_rows.school: the
row's school, which decides whose list judges the child; school_checks: the county's quarterly
rechecks of a school's reported figures and its term-start field visits, on record;
cases.sessions_watch: a 送教上门 watched month by month (sessions a month, held, from which
month), so a repair restores it

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.roles import GRANTS

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("register_files", sa.Column("scope", sa.String(8), nullable=False, server_default="county"))
    op.add_column("register_files", sa.Column("scope_unit", sa.String(64), nullable=True))
    op.add_column("register_rows", sa.Column("school", sa.String(64), nullable=True))
    op.create_table(
        "school_checks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("school", sa.String(64), nullable=False, index=True),
        sa.Column("township", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("checked_by", sa.String(64), nullable=False),
        sa.Column("checked_by_id", sa.Integer),
        sa.Column("sampled", sa.Integer, nullable=False),
        sa.Column("discrepancies", sa.Integer, nullable=False),
        sa.Column("cases", sa.JSON, nullable=False, server_default="[]"),
        sa.Column("note_enc", sa.LargeBinary),
    )
    op.add_column("cases", sa.Column("sessions_watch", postgresql.JSONB, nullable=True))
    op.execute(GRANTS)


def downgrade() -> None:
    op.drop_column("cases", "sessions_watch")
    op.drop_table("school_checks")
    op.drop_column("register_rows", "school")
    op.drop_column("register_files", "scope_unit")
    op.drop_column("register_files", "scope")
