"""Decoded histories in Temporal's web UI, through the API (docs/security.md, "Decoded histories").

A county officer (the one role whose reads cover every case) asks for a codec endpoint with a
signed request; the answer is a URL holding a session token of theirs (8 hours, ended like a
dashboard session: by `dashboard --logout-all`, a new key or a revocation). They set it as the
web UI's codec server; the UI posts each history's payloads to `<endpoint>/decode` from its own
origin, which must be one of `BAOXUE_TEMPORAL_UI_ORIGINS`. Every decode is audited. The endpoint
decodes only: the UI cannot encode (start or signal) through it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from google.protobuf import json_format
from starlette.concurrency import run_in_threadpool
from temporalio.api.common.v1 import Payloads

from api.auth import Ctx, signed_in
from api.dashboard_auth import open_session, session_officer
from config.payload_codec import EncryptionCodec, load_keyring
from domain.actors import Actor
from domain.beijing import beijing_iso
from domain.enums import Role
from domain.messages import t
from starter.access import audit, require_role
from starter.errors import BadInput, Refused

router = APIRouter()
SignedIn = Annotated[Actor, Depends(signed_in)]
CODEC_PATH = "/api/codec/"


@router.post("/api/codec-endpoint")
def codec_endpoint(request: Request, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """A codec endpoint for the web UI, for a county officer (`baoxue dashboard --codec-endpoint`)."""
    require_role(ctx, actor, "codec_endpoint", Role.county)
    assert actor.id is not None
    now = dt.datetime.now(dt.UTC)
    token = open_session(ctx, actor.id, now)
    audit(ctx, actor, "codec_endpoint", "ok")
    base = str(request.base_url).rstrip("/")
    return {"endpoint": f"{base}{CODEC_PATH}{token}", "expires_at": beijing_iso(now + dt.timedelta(hours=8))}


def _cors(request: Request, ctx: Ctx) -> dict[str, str]:
    """The headers that let the UI's page read the answer; a browser page of any other origin is refused."""
    origin = request.headers.get("origin")
    if origin is None:
        return {}
    if origin not in ctx.settings.temporal_ui_origins:
        raise Refused(t("codec_foreign_origin", origin=origin[:80]))
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "content-type, x-namespace, authorization",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


@router.options(CODEC_PATH + "{token}/decode", include_in_schema=False)
def decode_preflight(request: Request, ctx: Ctx, token: str) -> Response:
    return Response(status_code=204, headers=_cors(request, ctx))


@router.post(CODEC_PATH + "{token}/decode")
async def decode(request: Request, ctx: Ctx, token: str) -> Response:
    """The codec server protocol's `/decode`: `{"payloads": [...]}` in, the same decoded out."""
    headers = _cors(request, ctx)
    actor = await run_in_threadpool(session_officer, ctx, token)
    await run_in_threadpool(require_role, ctx, actor, "codec_decode", Role.county)
    try:
        payloads = json_format.ParseDict(await request.json(), Payloads()).payloads
    except (ValueError, json_format.ParseError) as error:
        raise BadInput(t("bad_input", detail=str(error)[:200])) from None
    keyring = await run_in_threadpool(load_keyring, ctx.settings)
    decoded = await EncryptionCodec(keyring, strict=False).decode(payloads)
    namespace = request.headers.get("x-namespace", "")[:64]
    await run_in_threadpool(audit, ctx, actor, "codec_decode", "ok", detail=f"payloads={len(decoded)} ns={namespace}")
    body = json_format.MessageToDict(Payloads(payloads=decoded))
    return JSONResponse(body, headers=headers)
