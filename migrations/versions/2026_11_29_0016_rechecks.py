"""Re-check reminders in the outbox: a row without a case

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("notifications", "case_id", nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE case_id IS NULL")
    op.alter_column("notifications", "case_id", nullable=False)
