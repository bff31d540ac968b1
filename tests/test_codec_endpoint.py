"""The API's codec endpoint for Temporal's web UI: minted for a county officer only, called from
an allowed UI origin only, ended like a dashboard session, every decode audited."""

from __future__ import annotations

import base64
import json

from sqlalchemy import select
from temporalio.api.common.v1 import Payload

from config.payload_codec import EncryptionCodec, load_keyring
from ledger.models import AuditEntry
from tests.support.api import InProcessApi
from tests.support.cases import COUNTY, OFFICER, register_officer

UI = "http://127.0.0.1:8233"


async def sealed(api: InProcessApi, text: str) -> dict[str, object]:
    plain = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text, ensure_ascii=False).encode())
    [payload] = await EncryptionCodec(load_keyring(api.ctx.settings)).encode([plain])
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


async def test_a_county_officer_decodes_from_the_ui_and_nobody_else(api: InProcessApi) -> None:
    register_officer(api.ctx, COUNTY)
    refused = await api.call(OFFICER, "POST", "/api/codec-endpoint")
    assert refused.status_code == 403 and refused.json()["exit"] == 3
    minted = await api.call(COUNTY, "POST", "/api/codec-endpoint")
    assert minted.status_code == 200, minted.text
    path = minted.json()["endpoint"].removeprefix("http://baoxue.test") + "/decode"
    body = {"payloads": [await sealed(api, "家访记录-解码测试")]}

    preflight = await api.http.options(path, headers={"Origin": UI, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == UI
    decoded = await api.http.post(path, json=body, headers={"Origin": UI, "X-Namespace": "default"})
    assert decoded.status_code == 200, decoded.text
    assert decoded.headers["access-control-allow-origin"] == UI
    [payload] = decoded.json()["payloads"]
    assert json.loads(base64.b64decode(payload["data"])) == "家访记录-解码测试"

    foreign = await api.http.post(path, json=body, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and "家访" not in foreign.text
    wrong = await api.http.post("/api/codec/not-a-token/decode", json=body, headers={"Origin": UI})
    assert wrong.status_code == 401 and "家访" not in wrong.text
    with api.ctx.sessions() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.actor == COUNTY.name)))
    assert "codec_endpoint" in actions and "codec_decode" in actions

    ended = await api.call(COUNTY, "POST", "/api/dashboard/logout-all")
    assert ended.status_code == 200
    after = await api.http.post(path, json=body, headers={"Origin": UI})
    assert after.status_code == 401
