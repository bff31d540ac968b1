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
from domain.rechecks import RecheckStart, TownshipChief, recheck_dues
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
        section_chiefs=await asyncio.to_thread(section_chiefs, ctx),
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


def section_chiefs(ctx: Context) -> tuple[TownshipChief, ...]:
    """Each township's section chief as the roster names them, with the officer they are enrolled as."""
    chains = ctx.roster.chains()
    with ctx.sessions() as session:
        ids = {
            name: chain_officer_ids(session, {Role.section_chief: name}).get(Role.section_chief)
            for name in {c.section_chief for c in chains}
        }
    return tuple(
        TownshipChief(township=c.township, name=c.section_chief, officer_id=ids[c.section_chief]) for c in chains
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
