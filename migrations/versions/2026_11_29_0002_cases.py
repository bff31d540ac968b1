"""students, cases, case_events and the case number sequence

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE case_no_seq")
    op.create_table(
        "students",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("child_key", sa.String(64), nullable=False, unique=True),
        sa.Column("name_enc", sa.LargeBinary, nullable=False),
        sa.Column("id_number_enc", sa.LargeBinary, nullable=False),
        sa.Column("id_masked", sa.String(18), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("case_no", sa.String(16), nullable=False, unique=True),
        sa.Column("workflow_id", sa.String(64), nullable=False, unique=True),
        sa.Column("campaign", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("student_id", sa.Uuid, sa.ForeignKey("students.id"), nullable=False),
        sa.Column("township", sa.String(32), nullable=False, index=True),
        sa.Column("group_no", sa.Integer, nullable=False),
        sa.Column("stage", sa.String(24), nullable=False, index=True),
        sa.Column("assigned_officer", sa.String(64)),
        sa.Column("confirmed_by", sa.String(64)),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(16)),
        sa.Column("roster_version", sa.String(32), nullable=False),
        sa.Column("chain", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("intake_enc", sa.LargeBinary),
        sa.Column("last_seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("campaign", "kind", "student_id", name="uq_cases_one_per_child"),
    )
    op.create_table(
        "case_events",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("case_id", sa.Uuid, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("business_key", sa.String(128), nullable=False, unique=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("type", sa.String(24), nullable=False),
        sa.Column("stage", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("case_id", "seq", name="uq_case_events_seq"),
    )


def downgrade() -> None:
    op.drop_table("case_events")
    op.drop_table("cases")
    op.drop_table("students")
    op.execute("DROP SEQUENCE case_no_seq")
