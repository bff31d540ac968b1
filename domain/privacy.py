"""Which recorded details may stand in plain columns. Everything else an officer writes (notes,
reasons, evidence, measures, helpers' names, schools, disability detail, aid items) may name a
child or describe their health or household, so it is encrypted at rest."""

from __future__ import annotations

from typing import Any

PLAIN_DETAIL_KEYS = frozenset(
    {
        # steps
        "finding",
        "exclude_reason",
        "visited_on",
        "household_verified",
        "education_level",
        "aid_due",
        "target_date",
        "placement",
        "arrangement",
        "channel",
        "on",
        "delivered_to",
        # reassignment, roster changes, opening (officers, not children)
        "assigned_officer",
        "from",
        "to",
        # escalation
        "level",
        "reason",
        "recipients",
        "roster_version",
        "overdue_seconds",
        "due_at",
        "deadline",
        "step",
        # after closure
        "attending",
        "check",
        "episode",
        # persuasion attempts (who tried is an official or a villager, not the child)
        "method",
        "persuader_name",
        "persuader_role",
        "until",
        "evidence_files",
        "sessions_per_month",
    }
)


def mask_name(name: str) -> str:
    """A child's name as lists and ledgers show it: the surname, the rest starred (张**)."""
    return name[0] + "*" * (len(name) - 1) if name else name


def split_details(details: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(plain, personal): the personal part goes to an encrypted column."""
    plain = {k: v for k, v in details.items() if k in PLAIN_DETAIL_KEYS}
    personal = {k: v for k, v in details.items() if k not in PLAIN_DETAIL_KEYS}
    return plain, personal
