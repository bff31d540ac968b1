"""A transfer between townships through the server (docs/cli.md, "Transfers"): the receiving
township named as the roster has it, and — before the officer's signed request reaches the case —
a service-signed `TransferTarget` with that township's chain (with ids), group and officers, so the
case can escalate on both chains and the receiving lead's answer can be verified."""

from __future__ import annotations

import asyncio
import datetime as dt

from domain.messages import t
from domain.signing import TransferTarget
from ledger.models import Case
from starter.case_service import chain_from_roster, officer_snapshot
from starter.context import Context
from starter.errors import BadInput
from workflows.case import CaseWorkflow


def receiving_township(ctx: Context, case: Case, to: object) -> str:
    """The township the officer signed, exactly as the roster names it, and not the case's own."""
    if not isinstance(to, str) or ctx.chain(to).township != to:
        raise BadInput(t("bad_value", option="--to", value=repr(to)[:80]))
    if to == case.township:
        raise BadInput(t("transfer_to_itself", township=to))
    return to


async def send_transfer_target(ctx: Context, case: Case, township: str) -> None:
    def built() -> TransferTarget:
        with ctx.sessions() as session:
            chain = chain_from_roster(ctx, session, township)
            officers = officer_snapshot(session, township=township, chain=chain)
        return TransferTarget(
            case_id=str(case.id),
            issued_at=dt.datetime.now(dt.UTC),
            township=township,
            group=ctx.roster.resolve(township).group,
            chain=chain,
            officers=officers,
        )

    target = await asyncio.to_thread(built)
    client = await ctx.temporal()
    await client.get_workflow_handle(case.workflow_id).signal(
        CaseWorkflow.transfer_target, target.signed_with(ctx.service_key)
    )
