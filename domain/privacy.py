"""Which recorded details may stand in plain columns. Everything else an officer writes (notes,
reasons, evidence, measures, helpers' names, schools, disability detail, aid items) may name a
child or describe their health or household, so it is encrypted at rest."""

from __future__ import annotations

from typing import Any

from domain.step_specs import STEPS

CASE_EVENT_KEYS = frozenset(
    {
        # opening, reassignment and roster changes (officers, not children)
        "assigned_officer",
        "assigned_officer_id",
        "from",
        "from_id",
        "withdrawn",
        "moved",
        "to",
        "to_id",
        # escalation
        "level",
        "reason",
        "recipients",
        "recipient_ids",
        "roster_version",
        "overdue_seconds",
        "due_at",
        "deadline",
        "step",
        "late",
        # reopening
        "episode",
        # provisional identities and merges (case numbers and townships, never the child)
        "provisional",
        "from_case_no",
        "from_township",
        "adopted_stage",
    }
)
"""What the case's own events (not officers' steps) record, all of it plain."""

PLAIN_DETAIL_KEYS = CASE_EVENT_KEYS | {field for spec in STEPS.values() for field in spec.plain_fields()}
"""A step's plain fields are declared with the step (domain/step_specs.py)."""


def mask_name(name: str) -> str:
    """A child's name as lists and ledgers show it: the surname, the rest starred (张**)."""
    return name[0] + "*" * (len(name) - 1) if name else name


def split_details(details: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(plain, personal): the personal part goes to an encrypted column."""
    plain = {k: v for k, v in details.items() if k in PLAIN_DETAIL_KEYS}
    personal = {k: v for k, v in details.items() if k not in PLAIN_DETAIL_KEYS}
    return plain, personal
