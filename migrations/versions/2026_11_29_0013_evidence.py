"""evidence_files: 佐证资料 uploaded through the server, encrypted at rest, named in the case's
events by id and SHA-256

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.roles import GRANTS

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("case_id", sa.Uuid, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("blob_enc", sa.LargeBinary),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("case_id", "sha256", name="uq_evidence_once_per_case"),
    )
    op.execute(GRANTS)


def downgrade() -> None:
    op.drop_table("evidence_files")
