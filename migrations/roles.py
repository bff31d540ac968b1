"""The database roles the migrations set up (see versions/2026_11_29_0011_integrity.py)."""

APP_ROLE = "baoxue_app"

GRANTS = f"""
    DO $$ BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            EXECUTE format('GRANT CONNECT ON DATABASE %I TO {APP_ROLE}', current_database());
            GRANT USAGE ON SCHEMA public TO {APP_ROLE};
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE};
            REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {APP_ROLE};
            REVOKE DELETE, TRUNCATE ON case_events FROM {APP_ROLE};
            REVOKE ALL ON alembic_version FROM {APP_ROLE};
            IF to_regclass('step_signatures') IS NOT NULL THEN
                EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON step_signatures FROM {APP_ROLE}';
                EXECUTE 'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ledger_epochs FROM {APP_ROLE}';
            END IF;
            IF to_regclass('accountability_decisions') IS NOT NULL THEN
                EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON accountability_decisions, inspections FROM {APP_ROLE}';
            END IF;
            GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE};
        END IF;
    END $$
"""
"""The app role's grants; later migrations that add tables run them again."""
