"""Sign-in to the dashboard without passwords: `baoxue dashboard` signs a one-time link with the
officer's key (valid 2 minutes, its nonce used once); opening it starts a browser session — an
HttpOnly, SameSite=Strict cookie for 8 hours whose token the server keeps only hashed. Every page
is scoped exactly as the CLI is (docs/security.md, "The dashboard")."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select, update

from api.auth import OFFICER_ID_DIGITS, Ctx, officer_who_signed, signed_in
from api.errors import PAGE_ERRORS
from domain.actors import Actor
from domain.enums import Role
from domain.messages import t
from domain.wire import dashboard_link_message
from ledger.models import DashboardSession, Officer
from starter.errors import NotSignedIn, Refused

router = APIRouter()
LINK_VALID = dt.timedelta(minutes=2)
SESSION_HOURS = 8
COOKIE = "baoxue_session"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@router.get("/dashboard/enter", responses=PAGE_ERRORS)
def enter(request: Request, ctx: Ctx, officer: str, at: str, nonce: str, sig: str) -> RedirectResponse:
    """A link used twice, signed by another key, or older than two minutes is refused."""
    try:
        signed_at = dt.datetime.fromisoformat(at)
    except ValueError:
        raise NotSignedIn(t("dashboard_link_refused")) from None
    now = dt.datetime.now(dt.UTC)
    if signed_at.tzinfo is None or not dt.timedelta(seconds=-30) <= now - signed_at <= LINK_VALID:
        raise NotSignedIn(t("dashboard_link_refused"))
    if not officer.isdigit() or len(officer) > OFFICER_ID_DIGITS or not 16 <= len(nonce) <= 48:
        raise NotSignedIn(t("dashboard_link_refused"))
    actor = officer_who_signed(ctx, int(officer), dashboard_link_message(officer, at, nonce), sig, "dash:" + nonce)
    assert actor.id is not None
    token = open_session(ctx, actor.id, now)
    response = RedirectResponse("/dashboard/", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/dashboard",
    )
    return response


def dashboard_actor(request: Request, ctx: Ctx) -> Actor:
    """The officer of this browser session; no page works without one."""
    return session_officer(ctx, request.cookies.get(COOKIE, ""))


def open_session(ctx: Ctx, officer_id: int, now: dt.datetime) -> str:
    """A new session of the officer (a browser's, or a codec endpoint's): its token, kept hashed."""
    token = secrets.token_urlsafe(32)
    with ctx.sessions.begin() as session:
        session.add(
            DashboardSession(
                token_hash=_hash(token), officer_id=officer_id, expires_at=now + dt.timedelta(hours=SESSION_HOURS)
            )
        )
    return token


def session_officer(ctx: Ctx, token: str) -> Actor:
    """The officer whose session this token opened: refused once it expired or was ended, or its
    officer was revoked or enrolled a new key since."""
    if not token:
        raise NotSignedIn(t("dashboard_signed_out"))
    now = dt.datetime.now(dt.UTC)
    with ctx.sessions() as session:
        found = session.execute(
            select(DashboardSession, Officer)
            .join(Officer, Officer.id == DashboardSession.officer_id)
            .where(DashboardSession.token_hash == _hash(token))
        ).first()
    if found is None:
        raise NotSignedIn(t("dashboard_signed_out"))
    row, officer = found
    if row.ended_at is not None or row.expires_at < now or officer.revoked_at is not None or not officer.public_key:
        raise NotSignedIn(t("dashboard_signed_out"))
    if officer.enrolled_at is not None and row.created_at < officer.enrolled_at:
        raise NotSignedIn(t("dashboard_signed_out"))  # opened with a key since replaced
    return Actor(id=officer.id, name=officer.name, role=Role(officer.role), township=officer.township)


DashboardActor = Annotated[Actor, Depends(dashboard_actor)]


def same_origin(request: Request) -> None:
    """A dashboard form may be posted only from the dashboard's own pages: its Origin (or, without
    one, its Referer) is this server's."""
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer", "")
        origin = referer[: len(own)] if referer.startswith(own + "/") or referer == own else None
    if origin != own:
        raise Refused(t("dashboard_foreign_origin"))


@router.post("/api/dashboard/logout-all")
def logout_all(ctx: Ctx, actor: Annotated[Actor, Depends(signed_in)]) -> dict[str, Any]:
    """End every dashboard session of the signed-in officer."""
    with ctx.sessions.begin() as session:
        ended = session.execute(
            update(DashboardSession)
            .where(DashboardSession.officer_id == actor.id, DashboardSession.ended_at.is_(None))
            .values(ended_at=dt.datetime.now(dt.UTC))
        ).rowcount
    return {"ended": ended}
