"""case_events: officers' free text in an encrypted column

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("case_events", sa.Column("payload_enc", sa.LargeBinary))


def downgrade() -> None:
    op.drop_column("case_events", "payload_enc")
