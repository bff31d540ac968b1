"""The payload codec: AES-256-GCM with a keyring, failures encoded, a codec server for the UI."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from config.payload_codec import ENCODING, KEY_ID, EncryptionCodec, Keyring, UnsealedPayloadError
from domain.enums import CaseKind, Finding
from domain.steps import NoteInput, VisitInput
from starter.codec_server import serve
from starter.ports import free_port
from tests.support.cases import ANZI_OFFICER, OFFICER, act, open_for
from tests.support.history import decoded_payloads
from workflows.case import CaseWorkflow

MARKER_NOTE = "标记备注-甲乙丙丁"


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())


async def test_round_trip_and_rotation() -> None:
    first = Keyring.generate()
    codec = EncryptionCodec(first)
    [sealed] = await codec.encode([plain("秘密")])
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata[KEY_ID] == b"k1"
    assert "秘密".encode() not in sealed.data
    rotated = first.rotated()
    newer = EncryptionCodec(rotated)
    assert await newer.decode([sealed]) == [plain("秘密")]
    [resealed] = await newer.encode([plain("秘密")])
    assert resealed.metadata[KEY_ID] == rotated.active.encode() != b"k1"
    with pytest.raises(UnsealedPayloadError, match="not sealed by"):
        await newer.decode([plain("a raw client's JSON")])
    untouched = plain("shown as it is")
    assert await EncryptionCodec(rotated, strict=False).decode([untouched]) == [untouched]
    with pytest.raises(UnsealedPayloadError, match="does not hold"):
        await EncryptionCodec(Keyring.generate()).decode([resealed])


def test_keyring_parse_errors() -> None:
    with pytest.raises(ValueError):
        Keyring.parse('{"active": "k2", "keys": {"k1": "' + "00" * 32 + '"}}', "x")
    with pytest.raises(ValueError):
        Keyring.parse("not json", "x")
    keyring = Keyring.generate()
    assert Keyring.parse(keyring.dumps(), "x") == keyring


def test_codec_server_needs_the_token() -> None:
    keyring = Keyring.generate()
    port = free_port()
    server = serve(EncryptionCodec(keyring), port=port, token="tok", origins={"http://127.0.0.1:8233"})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        body = json.dumps(
            {
                "payloads": [
                    {
                        "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                        "data": base64.b64encode(b'"x"').decode(),
                    }
                ]
            }
        ).encode()

        def call(path: str, data: bytes, token: str | None) -> dict:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}", data=data, method="POST", headers={"Content-Type": "application/json"}
            )
            if token:
                request.add_header("Authorization", f"Bearer {token}")
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.loads(response.read())

        with pytest.raises(urllib.error.HTTPError) as denied:
            call("/encode", body, None)
        assert denied.value.code == 401
        encoded = call("/encode", body, "tok")
        metadata = encoded["payloads"][0]["metadata"]
        assert base64.b64decode(metadata["encoding"]) == ENCODING
        decoded = call("/decode", json.dumps(encoded).encode(), "tok")
        assert base64.b64decode(decoded["payloads"][0]["data"]) == b'"x"'
    finally:
        server.shutdown()
        server.server_close()


async def test_raw_history_holds_no_plaintext(dev_env: WorkflowEnvironment, case_ctx) -> None:
    opened = await open_for(case_ctx, CaseKind.dropout)
    handle = dev_env.client.get_workflow_handle(opened.workflow_id)
    await act(handle, CaseWorkflow.note, NoteInput(actor=OFFICER, text=MARKER_NOTE))
    with pytest.raises(WorkflowUpdateFailedError):
        await act(handle, CaseWorkflow.visit, VisitInput(actor=ANZI_OFFICER, finding=Finding.confirmed))
    raw_client = await Client.connect(dev_env.client.service_client.config.target_host)
    history = await raw_client.get_workflow_handle(opened.workflow_id).fetch_history()
    raw = history.to_json()
    decoded = decoded_payloads(raw).decode("utf-8", errors="replace")
    assert decoded, "no payloads decoded: the test would see nothing"
    for secret in (MARKER_NOTE, OFFICER.name, ANZI_OFFICER.name, "not_permitted"):
        assert secret not in raw and secret not in decoded, secret
    decoded = await handle.fetch_history()
    assert decoded.events


def test_codec_rotate_keeps_old_keys_readable(tmp_path) -> None:
    import os
    import subprocess

    from config.payload_codec import Keyring, write_keyring
    from tests.support.stack import BAOXUE

    old = Keyring.generate()
    write_keyring(tmp_path / "codec-keys.json", old)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOXUE_")}
    env.update(BAOXUE_DATA_DIR=str(tmp_path), BAOXUE_CONFIG_FILE="/nonexistent/baoxue.toml")
    done = subprocess.run([BAOXUE, "codec", "rotate"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    rotated = Keyring.parse((tmp_path / "codec-keys.json").read_text(), "test")
    assert rotated.active != old.active and rotated.keys[old.active] == old.keys[old.active]
    missing = subprocess.run(
        [BAOXUE, "codec", "rotate", "--data-dir", str(tmp_path / "none")], capture_output=True, text=True, env=env
    )
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
