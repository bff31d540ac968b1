"""督查 and 问责 on record: inspections, rectification orders (answered or escalated),
accountability decisions (append-only for the app, as inspections are) and their evidence files

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.roles import GRANTS

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign", sa.String(64), nullable=False, index=True),
        sa.Column("township", sa.String(32), nullable=False, index=True),
        sa.Column("group_no", sa.Integer, nullable=False),
        sa.Column("inspected_on", sa.Date, nullable=False),
        sa.Column("villages", sa.JSON, nullable=False),
        sa.Column("schools", sa.JSON, nullable=False),
        sa.Column("sampled", sa.JSON, nullable=False),
        sa.Column("finding_enc", sa.LargeBinary, nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_by_id", sa.Integer, nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "rectification_orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign", sa.String(64), nullable=False, index=True),
        sa.Column("township", sa.String(32), nullable=False, index=True),
        sa.Column("group_no", sa.Integer, nullable=False),
        sa.Column("inspection_id", sa.Integer, sa.ForeignKey("inspections.id"), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text_enc", sa.LargeBinary, nullable=False),
        sa.Column("issued_by", sa.String(64), nullable=False),
        sa.Column("issued_by_id", sa.Integer, nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(64), nullable=True),
        sa.Column("answer_enc", sa.LargeBinary, nullable=True),
        sa.Column("escalation_level", sa.Integer, nullable=True),
    )
    op.create_table(
        "accountability_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign", sa.String(64), nullable=False, index=True),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("person", sa.String(64), nullable=True),
        sa.Column("ground", sa.String(32), nullable=False),
        sa.Column("cases", sa.JSON, nullable=False),
        sa.Column("reminders", sa.JSON, nullable=False),
        sa.Column("orders", sa.JSON, nullable=False),
        sa.Column("decision_enc", sa.LargeBinary, nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("decided_by_id", sa.Integer, nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "record_files",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("record", sa.String(40), nullable=False, index=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("blob_enc", sa.LargeBinary, nullable=True),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("record", "sha256", name="uq_record_file_once"),
    )
    op.execute(GRANTS)


def downgrade() -> None:
    op.drop_table("record_files")
    op.drop_table("accountability_decisions")
    op.drop_table("rectification_orders")
    op.drop_table("inspections")
