"""Officers: enrolment by one-time code, who am I, add / list / revoke (admin), resolving a name."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import secrets
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.auth import Ctx, signed_in
from domain.actors import Actor
from domain.beijing import beijing_iso
from domain.enums import GOVERNMENT_ROLES, TOWNSHIP_ROLES, Role
from domain.messages import t
from domain.parsing import parse_choice
from domain.schools import school_name
from domain.text import visible
from ledger.models import Officer, School
from ledger.officers import enrol, find_officers, list_officers, revoke, save_officer, seal_officer
from starter.access import audit, require_role
from starter.case_service import tell_open_cases
from starter.context import Context
from starter.errors import BadInput, NotFound, NotSignedIn, Refused

router = APIRouter(prefix="/api")
MAX_NOTIFY_URLS = 10
TEST_TITLE = "控辍保学通知测试"
SignedIn = Annotated[Actor, Depends(signed_in)]

CODE_VALID = dt.timedelta(hours=72)
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    """Twelve characters people can read aloud (no 0/O, 1/I/L), in groups of four."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().replace(" ", "").encode()).hexdigest()


def identity(officer: Officer) -> dict[str, Any]:
    found = {"id": officer.id, "name": officer.name, "role": officer.role, "township": officer.township}
    return {**found, "school": officer.school} if officer.school else found


class EnrolBody(BaseModel):
    code: str
    public_key: str


class OfficerBody(BaseModel):
    name: str
    role: str
    township: str | None = None
    school: str | None = Field(default=None, max_length=200)
    notify: list[str] = []


class RevokeBody(BaseModel):
    ref: str


class RenameBody(BaseModel):
    ref: str
    name: str


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """The API answers; `ledger` says whether the database does (within a second, never waiting)."""
    answers = await request.app.state.ledger_probe.answers()
    return {"ok": True, "ledger": "ok" if answers else "unavailable"}


@router.post("/enrol")
async def enrol_(body: EnrolBody, ctx: Ctx) -> dict[str, Any]:
    """Take a one-time code and the public key made on the officer's machine (no request signature:
    the code is the credential, once)."""
    try:
        if len(base64.b64decode(body.public_key, validate=True)) != 32:
            raise ValueError
    except (ValueError, binascii.Error):
        raise BadInput(t("bad_value", option="public_key", value="…")) from None

    def taken() -> Officer:
        with ctx.sessions.begin() as session:
            now = dt.datetime.now(dt.UTC)
            officer = enrol(session, code_hash=code_hash(body.code), public_key=body.public_key, now=now)
            if officer is None:
                raise NotSignedIn(t("code_invalid"))
            session.flush()
            session.expunge(officer)
            return officer

    officer = await run_in_threadpool(taken)
    await tell_open_cases(ctx, officer)
    return identity(officer)


@router.get("/whoami")
def whoami(actor: SignedIn) -> dict[str, Any]:
    who = {"id": actor.id, "name": actor.name, "role": actor.role.value, "township": actor.township}
    return {**who, "school": actor.school} if actor.school else who


def _shown_url(url: str) -> str:
    """A notify URL without its secrets (webhook tokens, passwords): scheme and host only."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}/…"


def _school_of(ctx: Context, name: str | None) -> tuple[str, str]:
    """A school officer's school (it must be one the county added) and so their township."""
    if not name:
        raise BadInput(t("school_required"))
    with ctx.sessions() as session:
        found = session.scalars(select(School).where(School.name == school_name(name))).one_or_none()
    if found is None:
        raise BadInput(t("unknown_school", name=visible(name)[:80]))
    return found.name, found.township


@router.post("/officers")
def add(body: OfficerBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """Register an officer (or update one's role and notify URLs) and open their enrolment with a
    one-time code. For an officer already enrolled the code is a new enrolment: their key stays
    valid until the code is used, then the new key replaces it."""
    require_role(ctx, actor, "officer_add", Role.admin)
    role = parse_choice(Role, body.role, "--role")
    assert role is not None
    name = body.name.strip()
    if not name:
        raise BadInput(t("bad_value", option="--name", value=repr(body.name)))
    township = school = None
    if role == Role.school:
        school, township = _school_of(ctx, body.school)
    elif body.school:
        raise BadInput(t("school_not_allowed"))
    elif role in TOWNSHIP_ROLES or role in GOVERNMENT_ROLES:
        if not body.township:
            raise BadInput(t("township_required"))
        township = ctx.chain(body.township).township
    elif body.township:
        raise BadInput(t("township_not_allowed"))
    roster_roles = ctx.roster.people().get(name)
    if roster_roles and role.value not in roster_roles:
        raise BadInput(t("officer_role_conflict", name=name, roles="/".join(sorted(roster_roles)), role=role.value))
    urls = [u.strip() for u in body.notify if u.strip()]
    for url in urls:
        if "://" not in url:
            raise BadInput(t("bad_value", option="--notify", value=_shown_url(url)))
    with ctx.sessions.begin() as session:
        existing = find_officers(session, ref=f"{name}@{township}" if township else name)
        enrolled = any(o.public_key and o.township == township for o in existing)
        code = new_code()
        officer, _new = save_officer(
            session,
            name=name,
            role=role.value,
            township=township,
            notify_urls=urls if urls or not enrolled else None,
            code_hash=code_hash(code),
            code_expires_at=dt.datetime.now(dt.UTC) + CODE_VALID,
            school=school,
        )
        saved = identity(officer)
    return {**saved, "code": code, "expires_at": beijing_iso(dt.datetime.now(dt.UTC) + CODE_VALID)}


def resolve_one(ctx: Context, ref: str) -> Officer:
    """One officer by id, NAME@TOWNSHIP or a name that is unique; refused otherwise."""
    with ctx.sessions() as session:
        found = find_officers(session, ref=ref)
        for officer in found:
            session.expunge(officer)
    if not found:
        raise Refused(t("unknown_officer", name=ref))
    if len(found) > 1:
        raise BadInput(t("officer_ambiguous", name=ref, candidates="、".join(f"{o.ref}（#{o.id}）" for o in found)))
    return found[0]


@router.get("/officers/resolve")
def resolve(ref: str, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    return identity(resolve_one(ctx, ref))


@router.post("/officers/revoke")
async def revoke_(body: RevokeBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """From this moment the officer's key is refused: by the server at once, by every open case
    once its registry is told (here, before answering)."""

    def revoked() -> Officer:
        require_role(ctx, actor, "officer_revoke", Role.admin)
        target = resolve_one(ctx, body.ref)
        with ctx.sessions.begin() as session:
            officer = session.get(Officer, target.id)
            if officer is None:
                raise NotFound(t("unknown_officer", name=body.ref))
            revoke(session, officer=officer, now=dt.datetime.now(dt.UTC))
            session.flush()
            session.expunge(officer)
            return officer

    officer = await run_in_threadpool(revoked)
    told = await tell_open_cases(ctx, officer, revoked=True)
    return {**identity(officer), "revoked": True, "cases_told": told}


@router.post("/officers/rename")
async def rename(body: RenameBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """A new name for the same person: the id, the key and the role stay; the history keeps the
    name each step was taken under."""
    new_name = body.name.strip()
    if not new_name:
        raise BadInput(t("bad_value", option="--name", value=repr(body.name)))

    def renamed() -> tuple[Officer, str]:
        require_role(ctx, actor, "officer_rename", Role.admin)
        target = resolve_one(ctx, body.ref)
        with ctx.sessions.begin() as session:
            taken = [o for o in find_officers(session, ref=new_name) if o.township == target.township]
            if any(o.id != target.id for o in taken):
                raise BadInput(t("bad_value", option="--name", value=f"{new_name}（已有同名人员）"))
            officer = session.get(Officer, target.id)
            if officer is None:
                raise NotFound(t("unknown_officer", name=body.ref))
            officer.name = new_name
            seal_officer(session, officer)
            session.flush()
            session.expunge(officer)
            return officer, target.name

    officer, old_name = await run_in_threadpool(renamed)
    await tell_open_cases(ctx, officer)
    await run_in_threadpool(audit, ctx, actor, "officer_rename", "ok", detail=f"#{officer.id} {old_name} → {new_name}")
    return identity(officer)


@router.get("/officers")
def list_(ctx: Ctx, actor: SignedIn) -> list[dict[str, Any]]:
    """Every officer: the roster's people and those registered, with their scope."""
    with ctx.sessions() as session:
        registered = list_officers(session)
    rows: dict[str, dict[str, Any]] = {}
    for chain in ctx.roster.chains():
        for role, person in (
            ("section_chief", chain.section_chief),
            ("office_head", chain.office_head),
            ("group_leader", chain.group_leader),
        ):
            entry = rows.setdefault(
                person,
                {
                    "id": None,
                    "name": person,
                    "role": role,
                    "township": None,
                    "group": chain.group,
                    "townships": [],
                    "notify": [],
                    "source": "roster",
                    "enrolled": False,
                },
            )
            if chain.township not in entry["townships"]:
                entry["townships"].append(chain.township)
    for officer in registered:
        key = officer.name if officer.name in rows and officer.township is None else officer.ref
        entry = rows.get(key) or {"name": officer.name, "group": None, "townships": [], "source": "registry"}
        if officer.township:
            chain = ctx.roster.resolve(officer.township)
            entry.update(group=chain.group, townships=[chain.township])
        entry.update(
            id=officer.id,
            role=officer.role,
            township=officer.township,
            notify=[_shown_url(u) for u in officer.notify_urls],
            source="roster+registry" if entry.get("source") == "roster" else "registry",
            enrolled=bool(officer.public_key),
        )
        if officer.school:
            entry["school"] = officer.school
        rows[key] = entry
    return list(rows.values())


class NotifyBody(BaseModel):
    """`baoxue notify`: the signer's own reminder addresses and digest (an administrator's for
    another officer with `officer`)."""

    officer: str | None = Field(default=None, max_length=80)
    add: list[str] = Field(default_factory=list, max_length=MAX_NOTIFY_URLS)
    remove: list[str] = Field(default_factory=list, max_length=MAX_NOTIFY_URLS)
    digest: str | None = Field(default=None, max_length=16)
    test: bool = False


def _checked_url(url: str) -> str:
    """A URL apprise can send to; refused (naming it without its secrets) otherwise."""
    import apprise

    text = url.strip()
    if "://" not in text or len(text) > 2000 or not apprise.Apprise().add(text):
        raise BadInput(t("bad_value", option="--add", value=_shown_url(text)))
    return text


def _without(urls: list[str], gone: list[str]) -> list[str]:
    kept = list(urls)
    for typed in (g.strip() for g in gone):
        match = [u for u in kept if typed in (u, _shown_url(u))]
        if len(match) != 1:
            raise BadInput(t("notify_url_unknown", url=_shown_url(typed)))
        kept.remove(match[0])
    return kept


@router.post("/notify")
async def notify(body: NotifyBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """Show, change and test where one's reminders go and whether a daily digest comes (the
    signer's own; an administrator's for anyone). A change needs no new enrolment."""
    from activities.notify import apprise_send, short_error
    from domain.digest import parse_digest_time
    from starter.digest_service import schedule_digest

    if body.officer is not None:
        require_role(ctx, actor, "notify_other", Role.admin)
        target_id: int = resolve_one(ctx, body.officer).id
    else:
        target_id = actor.id or 0
    added = [_checked_url(url) for url in body.add]
    try:
        digest = parse_digest_time(body.digest) if body.digest is not None else None
    except ValueError:
        raise BadInput(
            t("bad_value", option="--digest", value=f"{visible(body.digest or '')[:16]} (HH:MM|off)")
        ) from None

    def save() -> tuple[Officer, bool]:
        with ctx.sessions.begin() as session:
            officer = session.get(Officer, target_id)
            if officer is None:
                raise NotFound(t("unknown_officer", name=str(target_id)))
            urls = _without(list(officer.notify_urls or []), body.remove)
            urls += [url for url in added if url not in urls]
            if len(urls) > MAX_NOTIFY_URLS:
                raise BadInput(t("too_many_items", option="--add", limit=MAX_NOTIFY_URLS, count=len(urls)))
            changed_digest = body.digest is not None and digest != officer.digest_at
            if urls != officer.notify_urls or changed_digest:
                officer.notify_urls = urls
                if body.digest is not None:
                    officer.digest_at = digest
                seal_officer(session, officer)
            session.flush()
            session.expunge(officer)
            return officer, changed_digest

    officer, changed_digest = await run_in_threadpool(save)
    if changed_digest:
        await schedule_digest(ctx, officer.id, officer.digest_at)
    changes = [*(f"+{_shown_url(u)}" for u in added), *(f"-{_shown_url(u)}" for u in body.remove)]
    if body.digest is not None:
        changes.append(f"digest={officer.digest_at or 'off'}")
    await run_in_threadpool(audit, ctx, actor, "notify", "ok", detail=f"{officer.ref} {' '.join(changes)}".strip())
    answer: dict[str, Any] = {
        "officer": officer.ref,
        "notify": [_shown_url(u) for u in officer.notify_urls],
        "digest": officer.digest_at,
    }
    if body.test:
        tested = []
        for url in officer.notify_urls:
            ok, error = await run_in_threadpool(
                apprise_send, [url], TEST_TITLE, t("notify_test_body", name=officer.name)
            )
            tested.append({"url": _shown_url(url), "ok": ok, "error": None if ok else short_error(error)})
        answer["tested"] = tested
    return answer
