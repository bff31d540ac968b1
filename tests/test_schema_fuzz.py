"""Every route, fed what its OpenAPI schema allows (Schemathesis), on a real local stack, signed as
an enrolled county officer: no answer is a server error, and every answer — refusals included —
is one the schema declares, in the content type and shape it declares."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from domain.profile import Profile
from domain.wire import HEADER_NONCE, HEADER_OFFICER, HEADER_SIGNATURE, HEADER_TIME, request_message
from tests.support.stack import running_stack

pytestmark = pytest.mark.stack

FUZZER = "县教委接口测试员"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_no_route_answers_a_server_error_or_outside_its_schema(tmp_path: Path) -> None:
    with running_stack(tmp_path / "data") as stack:
        stack.add_here(FUZZER, "county")
        identity = Profile(Path(stack.env["BAOXUE_PROFILE_DIR"])).choose(FUZZER, None)
        key = identity.signing_key()
        schema = schemathesis.openapi.from_url(stack.api_url() + "/api/openapi.json")
        failures: list[str] = []
        with httpx.Client(timeout=60) as client:

            def call(case: schemathesis.Case) -> None:
                sent = case.as_transport_kwargs(base_url=stack.api_url())
                body = sent.get("json")
                content = httpx.Request("POST", "http://x", json=body).content if body is not None else b""
                request = client.build_request(
                    sent["method"],
                    sent["url"],
                    params=sent.get("params"),
                    headers={k: v for k, v in (sent.get("headers") or {}).items() if isinstance(v, str)},
                    content=content or sent.get("data") or b"",
                )
                at, nonce = dt.datetime.now(dt.UTC).isoformat(), secrets.token_hex(16)
                target = request.url.raw_path.decode("latin-1")
                message = request_message(request.method, target, request.content, at, nonce, str(identity.id))
                signature = base64.b64encode(key.sign(message)).decode()
                request.headers.update(
                    {
                        HEADER_OFFICER: str(identity.id),
                        HEADER_TIME: at,
                        HEADER_NONCE: nonce,
                        HEADER_SIGNATURE: signature,
                    }
                )
                response = client.send(request)
                try:
                    case.validate_response(response, checks=CHECKS)
                except Exception as failure:  # every failure is collected, the run goes on
                    failures.append(f"{case.method} {case.path} {response.status_code}: {failure}".splitlines()[0])

            for result in schema.get_all_operations():
                operation = result.ok()

                @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
                @given(case=operation.as_strategy())
                def run(case: schemathesis.Case) -> None:
                    call(case)

                run()
        assert failures == [], "\n".join(sorted(set(failures))[:40])
