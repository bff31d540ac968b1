"""officers: the public key of each officer's signing key pair

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("officers", sa.Column("public_key", sa.String(64)))


def downgrade() -> None:
    op.drop_column("officers", "public_key")
