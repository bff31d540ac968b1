"""case_events.seal: every event the worker projects is sealed (an HMAC under a key the database
does not hold) so that `verify` lists one the database's owner inserted or rewrote; events written
before are not held to a seal (ledger_epochs 'event_seals')

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("case_events", sa.Column("seal", sa.String(64), nullable=True))
    op.execute(
        "INSERT INTO ledger_epochs (name, last_event_id) SELECT 'event_seals', coalesce(max(id), 0) FROM case_events"
    )


def downgrade() -> None:
    op.execute("DELETE FROM ledger_epochs WHERE name = 'event_seals'")
    op.drop_column("case_events", "seal")
