"""notifications.recipient_id: a reminder is for an officer, not a name. Rows already written are
resolved by name — within their case's township first, else where the name is unique — and a
name that stands for more than one officer is reported and left unresolved (never guessed)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    op.add_column("notifications", sa.Column("recipient_id", sa.Integer, sa.ForeignKey("officers.id"), nullable=True))
    op.execute(
        """
        UPDATE notifications n SET recipient_id = (
            SELECT o.id FROM officers o JOIN cases c ON c.id = n.case_id
            WHERE o.name = n.recipient AND o.township = c.township)
        WHERE n.case_id IS NOT NULL AND (
            SELECT count(*) FROM officers o JOIN cases c ON c.id = n.case_id
            WHERE o.name = n.recipient AND o.township = c.township) = 1
        """
    )
    op.execute(
        """
        UPDATE notifications n SET recipient_id = (SELECT o.id FROM officers o WHERE o.name = n.recipient)
        WHERE n.recipient_id IS NULL AND (SELECT count(*) FROM officers o WHERE o.name = n.recipient) = 1
        """
    )
    unresolved = op.get_bind().execute(
        sa.text("SELECT DISTINCT recipient FROM notifications WHERE recipient_id IS NULL ORDER BY recipient")
    )
    names = [row[0] for row in unresolved]
    if names:
        log.warning("notifications: recipients not resolved to one officer (left unsent): %s", "、".join(names))


def downgrade() -> None:
    op.drop_column("notifications", "recipient_id")
