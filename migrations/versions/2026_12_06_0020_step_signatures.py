"""step_signatures: every officer step as signed, sealed by the server, for `verify` to account for
each step event; ledger_epochs: the last case event written before they were kept

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.roles import GRANTS

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "step_signatures",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("case_id", sa.Uuid, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("step", sa.String(24), nullable=False),
        sa.Column("officer_id", sa.Integer, nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("signed_at", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("fields_enc", sa.LargeBinary, nullable=False),
        sa.Column("seal", sa.String(64), nullable=False),
        sa.UniqueConstraint("case_id", "seq", "signature", name="uq_step_signatures_once"),
    )
    op.create_table(
        "ledger_epochs",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("last_event_id", sa.BigInteger, nullable=False),
    )
    op.execute(
        "INSERT INTO ledger_epochs (name, last_event_id)"
        " SELECT 'step_signatures', coalesce(max(id), 0) FROM case_events"
    )
    op.execute(GRANTS)


def downgrade() -> None:
    op.drop_table("ledger_epochs")
    op.drop_table("step_signatures")
