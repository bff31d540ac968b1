"""佐证资料 through the server: uploaded by those who may act on the case, listed and fetched by
those who may read it, every fetch audited (docs/cli.md, "Evidence")."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.concurrency import run_in_threadpool

from api.auth import Ctx, signed_in
from api.cases import case_for
from domain.actors import Actor
from domain.beijing import beijing_iso
from domain.evidence import MAX_EVIDENCE_BYTES, media_type_of
from domain.messages import t
from ledger.evidence import evidence_bytes, evidence_of, store_evidence
from ledger.models import EvidenceFile
from starter.access import audit
from starter.errors import BadInput, NotFound

router = APIRouter(prefix="/api")
SignedIn = Annotated[Actor, Depends(signed_in)]


def listed(row: EvidenceFile, n: int) -> dict[str, Any]:
    return {
        "n": n,
        "id": row.id,
        "sha256": row.sha256,
        "media_type": row.media_type,
        "size": row.size,
        "uploaded_by": row.uploaded_by,
        "uploaded_at": beijing_iso(row.uploaded_at),
        "erased": row.blob_enc is None,
    }


async def uploaded_file(request: Request) -> tuple[bytes, str]:
    """An evidence file as the request's body (signed with it): its bytes and its type, JPEG, PNG
    or PDF by content, at most 10 MB."""
    data = await request.body()
    if not data or len(data) > MAX_EVIDENCE_BYTES:
        raise BadInput(t("evidence_too_large", size=len(data), limit=MAX_EVIDENCE_BYTES // (1024 * 1024)))
    media_type = media_type_of(data)
    if media_type is None:
        raise BadInput(t("evidence_wrong_type"))
    return data, media_type


@router.post("/cases/{ref}/evidence")
async def upload(ref: str, request: Request, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """The file is the request body (signed with it); JPEG, PNG or PDF by content, ≤ 10 MB."""
    case = await run_in_threadpool(case_for, ctx, actor, ref, "evidence_upload", acting=True)
    data, media_type = await uploaded_file(request)

    def stored() -> tuple[EvidenceFile, int]:
        with ctx.sessions.begin() as session:
            row = store_evidence(
                session, cipher=ctx.cipher, case_id=case.id, data=data, media_type=media_type, uploaded_by=actor.name
            )
            n = [r.id for r in evidence_of(session, case_id=case.id)].index(row.id) + 1
            session.expunge(row)
            return row, n

    row, n = await run_in_threadpool(stored)
    await run_in_threadpool(audit, ctx, actor, "evidence_upload", "ok", case, detail=f"{row.sha256} {row.size}")
    return listed(row, n)


@router.get("/cases/{ref}/evidence")
def list_evidence(ref: str, ctx: Ctx, actor: SignedIn) -> list[dict[str, Any]]:
    case = case_for(ctx, actor, ref, "evidence")
    with ctx.sessions() as session:
        rows = evidence_of(session, case_id=case.id)
    audit(ctx, actor, "evidence", "ok", case)
    return [listed(row, n) for n, row in enumerate(rows, start=1)]


@router.get("/cases/{ref}/evidence/{n}")
def fetch(ref: str, n: Annotated[int, Path(ge=1, le=1_000_000)], ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    case = case_for(ctx, actor, ref, "evidence_get")
    with ctx.sessions() as session:
        rows = evidence_of(session, case_id=case.id)
    if not 1 <= n <= len(rows):
        raise NotFound(t("evidence_not_found", n=n, case_no=case.case_no))
    row = rows[n - 1]
    data = evidence_bytes(ctx.cipher, row)
    if data is None:
        raise NotFound(t("evidence_erased", n=n, case_no=case.case_no))
    audit(ctx, actor, "evidence_get", "ok", case, detail=row.sha256)
    return {**listed(row, n), "content_base64": base64.b64encode(data).decode()}
