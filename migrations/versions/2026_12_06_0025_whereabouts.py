"""cases.whereabouts_unknown: the last home visit did not find the child (下落不明) — open, still
escalating, flagged wherever the case is shown; cases.transfer: a hand-over to another township
waiting for its answer (the receiving side may then see the case)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.roles import GRANTS

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("whereabouts_unknown", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("cases", sa.Column("transfer", postgresql.JSONB, nullable=True))
    op.execute(GRANTS)


def downgrade() -> None:
    op.drop_column("cases", "transfer")
    op.drop_column("cases", "whereabouts_unknown")
