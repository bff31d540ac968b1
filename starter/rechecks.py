"""Starting a campaign's re-check workflow (docs/architecture.md, "Re-checks"): when the campaign
is added or changed, and when the server starts, for every campaign still open. Starting it again
finds the running one; a changed campaign's dates take effect through a new run."""

from __future__ import annotations

import asyncio
import datetime as dt

import structlog
from temporalio.common import WorkflowIDConflictPolicy

from domain.campaign import CampaignSpec
from domain.enums import Role
from domain.rechecks import RecheckStart, TownshipLadder, recheck_dues
from ledger.campaigns import list_campaigns
from ledger.officers import chain_officer_ids
from starter.case_service import calendar_for
from starter.context import Context
from workflows.recheck import RecheckWorkflow

log = structlog.get_logger("baoxue.rechecks")


def recheck_workflow_id(campaign: str) -> str:
    return f"recheck-{campaign}"


async def start_rechecks(ctx: Context, campaign: CampaignSpec, *, replace: bool = False) -> bool:
    """True when the campaign has re-checks (and its workflow now runs). `replace` ends a running
    one first: the campaign file changed."""
    if not campaign.rechecks:
        return False
    now = dt.datetime.now(dt.UTC)
    start = RecheckStart(
        campaign=campaign.name,
        dues=recheck_dues(campaign, calendar_for(campaign, now)),
        escalation=campaign.escalation,
        ladders=await asyncio.to_thread(township_ladders, ctx),
    )
    client = await ctx.temporal()
    policy = WorkflowIDConflictPolicy.TERMINATE_EXISTING if replace else WorkflowIDConflictPolicy.USE_EXISTING
    await client.start_workflow(
        RecheckWorkflow.run,
        start,
        id=recheck_workflow_id(campaign.name),
        task_queue=ctx.settings.task_queue,
        id_conflict_policy=policy,
    )
    return True


def township_ladders(ctx: Context) -> tuple[TownshipLadder, ...]:
    """Each township's chain as the roster names it, with the officer each person is enrolled as."""
    chains = ctx.roster.chains()
    with ctx.sessions() as session:
        ids = [
            chain_officer_ids(
                session,
                {
                    Role.section_chief: c.section_chief,
                    Role.office_head: c.office_head,
                    Role.group_leader: c.group_leader,
                },
            )
            for c in chains
        ]
    return tuple(
        TownshipLadder(
            township=c.township,
            section_chief=c.section_chief,
            section_chief_id=found.get(Role.section_chief),
            office_head=c.office_head,
            office_head_id=found.get(Role.office_head),
            group_leader=c.group_leader,
            group_leader_id=found.get(Role.group_leader),
        )
        for c, found in zip(chains, ids, strict=True)
    )


async def start_open_rechecks(ctx: Context) -> int:
    """At the server's start: every campaign whose deadline is ahead and which has re-checks."""
    now = dt.datetime.now(dt.UTC)

    def ahead() -> list[CampaignSpec]:
        with ctx.sessions() as session:
            return [c for c in list_campaigns(session) if c.rechecks and c.clearance_deadline > now]

    campaigns = await asyncio.to_thread(ahead)
    started = 0
    for campaign in campaigns:
        try:
            started += await start_rechecks(ctx, campaign)
        except Exception as error:  # the server serves without them; the next start tries again
            log.warning("rechecks_not_started", campaign=campaign.name, error_type=type(error).__name__)
    return started
