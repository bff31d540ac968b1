"""cases.assigned_officer_id, cases.confirmed_by_id, the chain's officer ids, case_events.actor_id:
people are officers by id, their names kept only for showing. Existing cases are resolved through
the officers table — the assignee among its township's case officers, a confirmer within its
township first, each chain person by name in that role — and a name that stands for no officer or
for more than one is reported and left unresolved (never guessed). Events already written keep
their names: the timeline is append-only.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

_ONLY_ONE = """
    UPDATE cases c SET {column} = (SELECT min(o.id) FROM officers o WHERE {match})
    WHERE c.{column} IS NULL AND c.{name} IS NOT NULL
      AND (SELECT count(*) FROM officers o WHERE {match}) = 1
"""
_CHAIN_ROLES = ("section_chief", "office_head", "group_leader")


def upgrade() -> None:
    # No foreign keys: the projection writes these from the case's history and must never be refused.
    op.add_column("cases", sa.Column("assigned_officer_id", sa.Integer, nullable=True))
    op.add_column("cases", sa.Column("confirmed_by_id", sa.Integer, nullable=True))
    op.add_column("case_events", sa.Column("actor_id", sa.Integer, nullable=True))
    op.create_index("ix_cases_assigned_officer_id", "cases", ["assigned_officer_id"])
    in_township = "o.name = c.{name} AND o.township = c.township"
    op.execute(
        _ONLY_ONE.format(
            column="assigned_officer_id",
            name="assigned_officer",
            match=in_township.format(name="assigned_officer") + " AND o.role = 'case_officer'",
        )
    )
    op.execute(
        _ONLY_ONE.format(column="confirmed_by_id", name="confirmed_by", match=in_township.format(name="confirmed_by"))
    )
    op.execute(_ONLY_ONE.format(column="confirmed_by_id", name="confirmed_by", match="o.name = c.confirmed_by"))
    for role in _CHAIN_ROLES:
        match = f"o.name = c.chain->>'{role}' AND o.role = '{role}'"
        op.execute(
            f"""
            UPDATE cases c
            SET chain = c.chain || jsonb_build_object('{role}_id', (SELECT min(o.id) FROM officers o WHERE {match}))
            WHERE NOT c.chain ? '{role}_id' AND (SELECT count(*) FROM officers o WHERE {match}) = 1
            """
        )
    bind = op.get_bind()
    unresolved = bind.execute(
        sa.text(
            "SELECT case_no, 'assigned_officer', assigned_officer FROM cases"
            " WHERE assigned_officer IS NOT NULL AND assigned_officer_id IS NULL"
            " UNION ALL SELECT case_no, 'confirmed_by', confirmed_by FROM cases"
            " WHERE confirmed_by IS NOT NULL AND confirmed_by_id IS NULL ORDER BY 1, 2"
        )
    ).all()
    for case_no, column, name in unresolved:
        log.warning("cases: %s %s %s is not one officer (left unresolved; verify lists it)", case_no, column, name)


def downgrade() -> None:
    op.drop_column("case_events", "actor_id")
    op.drop_index("ix_cases_assigned_officer_id", "cases")
    op.drop_column("cases", "confirmed_by_id")
    op.drop_column("cases", "assigned_officer_id")
    for role in _CHAIN_ROLES:
        op.execute(f"UPDATE cases SET chain = chain - '{role}_id'")
