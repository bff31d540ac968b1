"""A case as lists show it, and the list's JSON kept between requests.

`case_summary` is a case's plain facts (no personal data). A list of a county's 10,000 cases
built afresh — rows read, every time written in Beijing time, serialised — took 0.3–0.6 s; in
PostgreSQL (json_agg) 0.2 s. So each case's JSON is kept, keyed by (case, last sequence number),
as the report keeps its digests (docs/architecture.md, "Reports and any past day"): every event a
case records moves its `last_seq` in the same transaction, and nothing else changes what a summary
says, so a kept one is exact. A request reads one short line a case, reads in full only the cases
that moved, and works out what depends on the moment (overdue) itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from pydantic_core import to_json
from sqlalchemy.orm import Session

from domain.beijing import beijing_iso
from domain.enums import Stage
from ledger.cases import CaseFilter, CaseListing, case_listings, listed_cases
from ledger.models import Case
from starter.bounded_map import BoundedMap

OVERDUE = b',"overdue":'


def watched_or_open(case: Case | CaseListing) -> bool:
    return case.stage != Stage.closed.value or case.next_check_at is not None


def _transfer_shown(transfer: dict[str, Any] | None) -> dict[str, Any] | None:
    """A waiting transfer as JSON shows every time: Beijing time."""
    if not transfer:
        return None
    requested = transfer.get("requested_at")
    at = beijing_iso(dt.datetime.fromisoformat(requested)) if isinstance(requested, str) else requested
    return {"to": transfer.get("to"), "requested_at": at, "by": transfer.get("by")}


def case_summary(case: Case | CaseListing, *, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or dt.datetime.now(dt.UTC)
    chain = case.chain or {}
    return {
        "case_no": case.case_no,
        "workflow_id": case.workflow_id,
        "campaign": case.campaign,
        "kind": case.kind,
        "township": case.township,
        "group": case.group_no,
        "stage": case.stage,
        "assigned_officer": case.assigned_officer,
        "opened_at": beijing_iso(case.opened_at),
        "due_at": beijing_iso(case.due_at),
        "closed_at": beijing_iso(case.closed_at),
        "outcome": case.outcome,
        "escalation_level": case.escalation_level,
        "next_escalation_at": beijing_iso(case.next_escalation_at),
        "missed_deadline": case.missed_deadline,
        "stalled": case.stalled,
        "whereabouts_unknown": case.whereabouts_unknown,
        "transfer": _transfer_shown(case.transfer),
        "provisional": case.provisional,
        "exclusion_check_due": beijing_iso(case.exclusion_check_due),
        "due_capped": case.due_capped,
        "overdue": bool(case.due_at and watched_or_open(case) and case.due_at < now),
        "episode": case.episode,
        "reason": case.reason,
        "priority": [group for group in (case.priority or "").split(",") if group],
        "poverty_risk": case.poverty_risk,
        "monitoring": {
            "next_check_at": beijing_iso(case.next_check_at),
            "checks_done": case.checks_done,
            "checks_left": case.checks_left,
        }
        if case.next_check_at is not None
        else None,
        "chain": {k: chain.get(k) for k in ("section_chief", "office_head", "group_leader")},
        "roster_version": case.roster_version,
    }


class CaseListCache:
    """Each case's summary as JSON, but for `overdue`, by (case, last sequence number); the
    oldest dropped past `limit`. Never stale: a case that moved has a new key."""

    def __init__(self, limit: int = 200_000) -> None:
        self._kept: BoundedMap[tuple[str, int], bytes] = BoundedMap(limit)
        self.built = 0
        """Summaries built since the process began (a test's witness that kept ones are reused)."""

    def json(self, session: Session, *, where: CaseFilter, now: dt.datetime) -> bytes:
        """The cases the filter selects, in the list's order, as one JSON array."""
        listed = listed_cases(session, where=where, now=now)
        kept = self._kept
        heads: dict[str, bytes | None] = {case_id: kept.get((case_id, last_seq)) for case_id, last_seq, _late in listed}
        missing = [case_id for case_id, head in heads.items() if head is None]
        if missing:
            built: dict[tuple[str, int], bytes] = {}
            for case_id, last_seq, listing in case_listings(session, missing):
                summary = case_summary(listing, now=now)
                del summary["overdue"]
                built[(case_id, last_seq)] = heads[case_id] = to_json(summary)[:-1] + OVERDUE
            self.built += len(built)
            kept.add(built)
        late_true, late_false = b"true}", b"false}"
        whole = cast(dict[str, bytes], heads)  # every head is kept or built by now
        parts = [whole[case_id] + (late_true if late else late_false) for case_id, _seq, late in listed]
        return b"[" + b",".join(parts) + b"]"
