"""registers: imported files, their valid rows (personal cells encrypted), rejected rows, case sources

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "register_files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("register", sa.String(16), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("sheet", sa.String(128)),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("data_rows", sa.Integer, nullable=False),
        sa.Column("valid_rows", sa.Integer, nullable=False),
        sa.Column("rejected_rows", sa.Integer, nullable=False),
        sa.Column("blank_rows", sa.Integer, nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
        sa.Column("imported_by", sa.String(64)),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("campaign", "register", "content_hash", name="uq_register_files_content"),
    )
    op.create_index("ix_register_files_current", "register_files", ["campaign", "register", "current"])
    op.create_table(
        "register_rows",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("file_id", sa.Integer, sa.ForeignKey("register_files.id", ondelete="CASCADE"), nullable=False),
        sa.Column("row_no", sa.Integer, nullable=False),
        sa.Column("child_key", sa.String(64), nullable=False),
        sa.Column("township", sa.String(32)),
        sa.Column("age", sa.Integer),
        sa.Column("has_arrangement", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("cells_enc", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_register_rows_file", "register_rows", ["file_id", "row_no"], unique=True)
    op.create_table(
        "register_rejects",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "file_id", sa.Integer, sa.ForeignKey("register_files.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("row_no", sa.Integer, nullable=False),
        sa.Column("column_name", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("value_masked", sa.String(64), nullable=False),
    )
    op.create_table(
        "case_sources",
        sa.Column("case_id", sa.Uuid, sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("file_id", sa.Integer, sa.ForeignKey("register_files.id"), primary_key=True),
        sa.Column("row_no", sa.Integer, primary_key=True),
        sa.Column("register", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("case_sources")
    op.drop_table("register_rejects")
    op.drop_table("register_rows")
    op.drop_table("register_files")
