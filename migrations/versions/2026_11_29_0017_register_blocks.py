"""Register cells sealed a block of rows at a time; register rows keyed by (file, row number),
without a per-row foreign-key check

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.roles import GRANTS

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "register_blocks",
        sa.Column("file_id", sa.Integer, sa.ForeignKey("register_files.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("block_no", sa.Integer, primary_key=True),
        sa.Column("cells_enc", sa.LargeBinary, nullable=False),
    )
    op.execute("ALTER TABLE register_blocks ALTER COLUMN cells_enc SET STORAGE EXTERNAL")
    op.execute(GRANTS)
    op.add_column("register_rows", sa.Column("block_no", sa.Integer))
    op.alter_column("register_rows", "cells_enc", nullable=True)
    op.drop_constraint("register_rows_file_id_fkey", "register_rows", type_="foreignkey")
    op.drop_index("ix_register_rows_file", table_name="register_rows")
    op.drop_column("register_rows", "id")
    op.create_primary_key("register_rows_pkey", "register_rows", ["file_id", "row_no"])


def downgrade() -> None:
    """Rows whose cells live in a block cannot be sealed one by one without the data key: they are
    deleted, and their files stop being current and forget their content hash, so importing the
    same files again stores them anew."""
    op.execute(
        "UPDATE register_files SET current = false, content_hash = 'downgraded-' || id WHERE id IN"
        " (SELECT file_id FROM register_blocks)"
    )
    op.execute("DELETE FROM register_rows WHERE cells_enc IS NULL")
    op.drop_constraint("register_rows_pkey", "register_rows", type_="primary")
    op.add_column("register_rows", sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False))
    op.create_primary_key("register_rows_pkey", "register_rows", ["id"])
    op.create_index("ix_register_rows_file", "register_rows", ["file_id", "row_no"], unique=True)
    op.create_foreign_key(
        "register_rows_file_id_fkey", "register_rows", "register_files", ["file_id"], ["id"], ondelete="CASCADE"
    )
    op.alter_column("register_rows", "cells_enc", nullable=False)
    op.drop_column("register_rows", "block_no")
    op.drop_table("register_blocks")
