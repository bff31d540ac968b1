"""The API in this process: the FastAPI app over httpx's ASGI transport, against the tests' real
PostgreSQL and Temporal, with every request signed the way the officer's client signs it."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.app import create_app
from domain.actors import Actor
from domain.enums import Role
from domain.id_number import make_id_number
from domain.signing import public_key_of, sign
from domain.wire import (
    HEADER_LANG,
    HEADER_NONCE,
    HEADER_OFFICER,
    HEADER_SIGNATURE,
    HEADER_TIME,
    canonical_json,
    dashboard_link_message,
    request_message,
    step_message,
)
from starter.context import Context
from tests.support.cases import OFFICER, actor_key, with_id

ADMIN = Actor(name="测试管理员", role=Role.admin)

_children = iter(range(700, 900))


class InProcessApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.app = create_app(ctx)
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://baoxue.test")

    async def call(
        self,
        actor: Actor,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        params: dict[str, Any] | None = None,
        at: dt.datetime | None = None,
        nonce: str | None = None,
        key: Ed25519PrivateKey | None = None,
    ) -> httpx.Response:
        """One request signed by `actor`'s test key (or `key`), at `at`, with `nonce`."""
        actor = with_id(actor)
        assert actor.id is not None, f"{actor.name} is not registered"
        payload = raw if raw is not None else (b"" if body is None else json.dumps(body, ensure_ascii=False).encode())
        target = path + ("?" + urlencode(params) if params else "")
        at_text = (at or dt.datetime.now(dt.UTC)).isoformat()
        nonce = nonce or secrets.token_hex(16)
        message = request_message(method, target, payload, at_text, nonce, str(actor.id))
        headers = {
            HEADER_OFFICER: str(actor.id),
            HEADER_TIME: at_text,
            HEADER_NONCE: nonce,
            HEADER_SIGNATURE: sign(key or actor_key(actor.name), message),
            HEADER_LANG: "zh",
            "Content-Type": "application/json",
        }
        return await self.http.request(method, target, content=payload, headers=headers)

    async def step(
        self, actor: Actor, case_no: str, step_name: str, fields: dict[str, Any], *, expected_seq: int | None = None
    ) -> httpx.Response:
        """A step as `baoxue case …` sends it: signed against the case's current sequence number
        as the ledger gives it (or `expected_seq`)."""
        where = await self.call(actor, "GET", f"/api/cases/{case_no}/step")
        if where.status_code != 200:
            return where
        context = where.json()
        seq = context["last_seq"] if expected_seq is None else expected_seq
        at = dt.datetime.now(dt.UTC).isoformat()
        message = step_message(context["case_id"], step_name, seq, at, canonical_json(fields))
        body = {
            "fields": fields,
            "expected_seq": seq,
            "signed_at": at,
            "signature": sign(actor_key(actor.name), message),
        }
        return await self.call(actor, "POST", f"/api/cases/{case_no}/steps/{step_name}", body=body)

    async def identify(self, actor: Actor, case_no: str, id_number: str) -> httpx.Response:
        """`case identify`: the signed step (no fields) and, beside it, the ID number."""
        where = await self.call(actor, "GET", f"/api/cases/{case_no}/step")
        if where.status_code != 200:
            return where
        context = where.json()
        at = dt.datetime.now(dt.UTC).isoformat()
        message = step_message(context["case_id"], "identify", context["last_seq"], at, canonical_json({}))
        body = {
            "fields": {},
            "expected_seq": context["last_seq"],
            "signed_at": at,
            "signature": sign(actor_key(actor.name), message),
            "id_number": id_number,
        }
        return await self.call(actor, "POST", f"/api/cases/{case_no}/identify", body=body)

    async def school_officer(self, name: str, *, school: str, township: str) -> Actor:
        """A school the administrator added and its officer, enrolled with their test key."""
        added = await self.call(ADMIN, "POST", "/api/schools", body={"name": school, "township": township})
        assert added.status_code == 200, added.text
        body = {"name": name, "role": "school", "school": school}
        registered = (await self.call(ADMIN, "POST", "/api/officers", body=body)).json()
        enrolment = {"code": registered["code"], "public_key": public_key_of(actor_key(name))}
        assert (await self.http.post("/api/enrol", json=enrolment)).status_code == 200
        return Actor(id=registered["id"], name=name, role=Role.school, township=township, school=school)

    async def dashboard(self, actor: Actor) -> httpx.AsyncClient:
        """A browser of `actor`'s: signed in by a one-time link their key signs."""
        actor = with_id(actor)
        at, nonce = dt.datetime.now(dt.UTC).isoformat(), secrets.token_hex(12)
        sig = sign(actor_key(actor.name), dashboard_link_message(str(actor.id), at, nonce))
        browser = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://baoxue.test")
        entered = await browser.get(
            "/dashboard/enter", params={"officer": str(actor.id), "at": at, "nonce": nonce, "sig": sig}
        )
        assert entered.status_code == 303, entered.text
        return browser

    async def close(self) -> None:
        await self.http.aclose()


async def open_case(api: InProcessApi, actor: Actor = OFFICER, township: str = "梅子垭镇") -> tuple[str, str]:
    """A new case of a synthetic child, opened through the API; (case number, ID number)."""
    n = next(_children)
    id_number = make_id_number("500243", dt.date(2014, 3, 1) + dt.timedelta(days=n), n)
    body = {"kind": "dropout", "id_number": id_number, "name": f"接口儿童{n}", "township": township}
    opened = await api.call(actor, "POST", "/api/cases", body=body)
    assert opened.status_code == 200, opened.text
    return opened.json()["case_no"], id_number
