"""Reminders people can live with: an outbox row's topic (so the same rung is not sent twice to
one person within its repeat interval), whether its failure was told, and each officer's digest

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("notifications", sa.Column("topic", sa.String(24), nullable=True))
    op.add_column("notifications", sa.Column("failure_told", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_index(
        "ix_notifications_rung",
        "notifications",
        ["case_id", "recipient_id", "level", "stage"],
        postgresql_where=sa.text("status = 'sent'"),
    )
    op.add_column("officers", sa.Column("digest_at", sa.String(5), nullable=True))


def downgrade() -> None:
    op.drop_column("officers", "digest_at")
    op.drop_index("ix_notifications_rung", table_name="notifications")
    op.drop_column("notifications", "failure_told")
    op.drop_column("notifications", "topic")
