"""integrity: an app role that can only append to audit_log and case_events and cannot touch
triggers; case_events append-only (but for retention's clearing of the encrypted free text);
audit rows chained by hash

The tables stay owned by the role that runs the migrations (the owner). The API servers and the
workers connect as `baoxue_app`, which has only the grants below: not the owner, it cannot alter
or disable a trigger. Creating the role needs CREATEROLE; without it the migration goes on and
the operator creates the role (docs/deploy.md).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.roles import APP_ROLE, GRANTS

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(64)))
    op.add_column("audit_log", sa.Column("row_hash", sa.String(64)))
    op.execute("""
        CREATE FUNCTION baoxue_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND NEW.payload_enc IS NULL
               AND NEW.id = OLD.id AND NEW.case_id = OLD.case_id AND NEW.business_key = OLD.business_key
               AND NEW.seq = OLD.seq AND NEW.type = OLD.type AND NEW.stage = OLD.stage
               AND NEW.actor = OLD.actor AND NEW.at = OLD.at AND NEW.payload = OLD.payload THEN
                RETURN NEW;  -- retention clears the encrypted free text, nothing else
            END IF;
            RAISE EXCEPTION 'case_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$
    """)
    op.execute("""
        CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
        FOR EACH ROW EXECUTE FUNCTION baoxue_events_append_only()
    """)
    op.execute("""
        CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events
        FOR EACH STATEMENT EXECUTE FUNCTION baoxue_append_only()
    """)
    op.execute(f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} LOGIN;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'cannot create role {APP_ROLE}: create it and rerun the grants (docs/deploy.md)';
        END $$
    """)
    op.execute(GRANTS)


def downgrade() -> None:
    op.execute("DROP TRIGGER case_events_no_truncate ON case_events")
    op.execute("DROP TRIGGER case_events_append_only ON case_events")
    op.execute("DROP FUNCTION baoxue_events_append_only()")
    op.drop_column("audit_log", "row_hash")
    op.drop_column("audit_log", "prev_hash")
