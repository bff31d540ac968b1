"""学籍 follow-through through the server (docs/cli.md, `case xueji`): the register change made
for a case's outcome, recorded by those who may act on the case (or its school's officers)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.auth import Ctx, signed_in
from api.cases import case_for
from domain.actors import Actor
from domain.beijing import beijing_iso, china_today
from domain.messages import t
from domain.parsing import check_fields
from domain.xueji import XuejiAction
from ledger.models import XuejiChange
from starter.access import audit
from starter.errors import BadInput

router = APIRouter(prefix="/api")
SignedIn = Annotated[Actor, Depends(signed_in)]


class XuejiBody(BaseModel):
    action: XuejiAction
    done_by: str = Field(min_length=1, max_length=64)
    done_on: dt.date | None = None


@router.post("/cases/{ref}/xueji")
def record(ref: str, body: XuejiBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """A closed case's register change, once made (a later record adds to the list, never edits)."""
    check_fields({"done_by": body.done_by})
    case = case_for(ctx, actor, ref, "xueji", acting=True)
    today = china_today(dt.datetime.now(dt.UTC))
    done_on = body.done_on or today
    if done_on > today:
        raise BadInput(t("bad_value", option="--on", value=done_on.isoformat()))
    if case.stage != "closed":
        raise BadInput(t("xueji_not_closed", case_no=case.case_no))
    with ctx.sessions.begin() as session:
        row = XuejiChange(
            case_id=case.id,
            action=body.action.value,
            done_by=body.done_by.strip(),
            done_on=done_on,
            recorded_by=actor.name,
            recorded_by_id=actor.id,
        )
        session.add(row)
        session.flush()
        answer = {
            "id": row.id,
            "case_no": case.case_no,
            "action": row.action,
            "done_by": row.done_by,
            "done_on": done_on.isoformat(),
            "recorded_at": beijing_iso(dt.datetime.now(dt.UTC)),
        }
    audit(ctx, actor, "xueji", "ok", case, detail=body.action.value)
    return answer
