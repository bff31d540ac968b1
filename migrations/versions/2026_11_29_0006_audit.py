"""audit log: append-only (a trigger refuses UPDATE and DELETE; only INSERT and SELECT granted)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("case_id", sa.Uuid),
        sa.Column("case_no", sa.String(16)),
        sa.Column("purpose_enc", sa.LargeBinary),
        sa.Column("detail", sa.String(200)),
    )
    op.create_index("ix_audit_log_case", "audit_log", ["case_no"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])
    op.execute("""
        CREATE FUNCTION baoxue_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$
    """)
    op.execute("""
        CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION baoxue_append_only()
    """)
    op.execute("""
        CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION baoxue_append_only()
    """)
    op.execute("REVOKE ALL ON audit_log FROM PUBLIC")
    op.execute("GRANT INSERT, SELECT ON audit_log TO PUBLIC")


def downgrade() -> None:
    op.drop_table("audit_log")
    op.execute("DROP FUNCTION baoxue_append_only()")
