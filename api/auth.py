"""Signed requests: every request names its officer and carries an Ed25519 signature over method,
path with query, body digest, time and a nonce. A replayed nonce, a time more than five minutes
off, an unknown, replaced or revoked key: refused (exit 5)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert

from domain.actors import Actor
from domain.enums import Role
from domain.messages import set_lang, t
from domain.signing import MAX_CLOCK_SKEW, verify
from domain.wire import HEADER_LANG, HEADER_NONCE, HEADER_OFFICER, HEADER_SIGNATURE, HEADER_TIME, request_message
from ledger.models import Officer, RequestNonce
from starter.context import Context
from starter.errors import NotSignedIn

NONCE_KEPT = MAX_CLOCK_SKEW * 2
OFFICER_ID_DIGITS = 9
"""An officer's id as a header: the registry's integer ids fit in nine digits; a longer number is
not an officer (and would not fit the column)."""


async def language(request: Request) -> None:
    """Each request is answered in its reader's language."""
    set_lang("en" if request.headers.get(HEADER_LANG, "").lower().startswith("en") else "zh")


def context_of(request: Request) -> Context:
    """The process's Context, handed to routes as a dependency (`Ctx`); made by `create_app`'s caller."""
    return request.app.state.ctx


Ctx = Annotated[Context, Depends(context_of)]


def request_target(request: Request) -> str:
    """The path and query exactly as the client sent them (percent-encoded), which it signed."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    return raw.decode("latin-1") + (("?" + query.decode("latin-1")) if query else "")


async def signed_in(request: Request, ctx: Ctx) -> Actor:
    """The officer who signed this request, as the registry knows them now."""
    headers = request.headers
    officer_id, at_text = headers.get(HEADER_OFFICER, ""), headers.get(HEADER_TIME, "")
    nonce, signature = headers.get(HEADER_NONCE, ""), headers.get(HEADER_SIGNATURE, "")
    if not (
        officer_id.isdigit()
        and len(officer_id) <= OFFICER_ID_DIGITS
        and at_text
        and 16 <= len(nonce) <= 64
        and signature
    ):
        raise NotSignedIn(t("not_signed_in"))
    body = await request.body()
    try:
        at = dt.datetime.fromisoformat(at_text)
    except ValueError:
        raise NotSignedIn(t("request_stale")) from None
    now = dt.datetime.now(dt.UTC)
    if at.tzinfo is None or abs(now - at) > MAX_CLOCK_SKEW:
        raise NotSignedIn(t("request_stale"))
    message = request_message(request.method, request_target(request), body, at_text, nonce, officer_id)
    # The registry and the nonce table are the database: off the event loop, which must keep
    # answering (health, other requests) whatever the database does.
    return await run_in_threadpool(officer_who_signed, ctx, int(officer_id), message, signature, nonce)


def officer_who_signed(ctx: Context, officer_id: int, message: bytes, signature: str, nonce: str) -> Actor:
    """The registered officer whose current key signed `message`, the nonce used once only."""
    now = dt.datetime.now(dt.UTC)
    with ctx.sessions.begin() as session:
        officer = session.get(Officer, officer_id)
        if officer is None or not officer.public_key or officer.revoked_at is not None:
            raise NotSignedIn(t("key_refused"))
        if not verify(officer.public_key, message, signature):
            raise NotSignedIn(t("key_refused"))
        fresh = session.execute(
            insert(RequestNonce)
            .values(nonce=nonce, officer_id=officer.id, at=now)
            .on_conflict_do_nothing()
            .returning(RequestNonce.nonce)
        ).first()
        if fresh is None:
            raise NotSignedIn(t("request_replayed"))
        if random.random() < 0.02:
            session.execute(delete(RequestNonce).where(RequestNonce.at < now - NONCE_KEPT))
        return Actor(
            id=officer.id, name=officer.name, role=Role(officer.role), township=officer.township, school=officer.school
        )
