"""identity: officers are people with a stable id (names may repeat across townships), enrolled
by a one-time code, revocable; request nonces so a signed request cannot be replayed

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("officers_name_key", "officers", type_="unique")
    op.execute("CREATE UNIQUE INDEX uq_officers_name_township ON officers (name, township) NULLS NOT DISTINCT")
    op.add_column("officers", sa.Column("enrol_code_hash", sa.String(64)))
    op.add_column("officers", sa.Column("enrol_expires_at", sa.DateTime(timezone=True)))
    op.add_column("officers", sa.Column("enrolled_at", sa.DateTime(timezone=True)))
    op.add_column("officers", sa.Column("revoked_at", sa.DateTime(timezone=True)))
    op.create_table(
        "request_nonces",
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("officer_id", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("request_nonces")
    for column in ("revoked_at", "enrolled_at", "enrol_expires_at", "enrol_code_hash"):
        op.drop_column("officers", column)
    op.execute("DROP INDEX uq_officers_name_township")
    op.create_unique_constraint("officers_name_key", "officers", ["name"])
