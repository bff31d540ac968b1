"""officers.seal: a keyed MAC of each officer's row, written by the server with every change it
makes, so that a role, township, key or reminder address changed in the database is listed by
`verify` (the key is derived from the data key, which the database does not hold)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("officers", sa.Column("seal", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("officers", "seal")
