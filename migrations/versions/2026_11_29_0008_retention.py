"""cases: when the case's personal data was anonymised

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("anonymised_at", sa.DateTime(timezone=True)))
    op.add_column("students", sa.Column("anonymised_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("students", "anonymised_at")
    op.drop_column("cases", "anonymised_at")
