"""The case ledger in PostgreSQL: SQLAlchemy models, sessions, repositories. No Temporal here."""
