"""`baoxue codec-server`: /encode and /decode for the Temporal web UI, on localhost, behind a token,
so a permitted supervisor reads decoded case histories in the UI (Settings → Codec Server)."""

from __future__ import annotations

import asyncio
import hmac
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from config.payload_codec import EncryptionCodec

ALLOWED_HEADERS = "Authorization, Content-Type, X-Namespace, X-Baoxue-Token"


def make_handler(codec: EncryptionCodec, token: str, origins: set[str]) -> type[BaseHTTPRequestHandler]:
    class CodecHandler(BaseHTTPRequestHandler):
        def _cors(self) -> None:
            origin = self.headers.get("Origin")
            if origin and origin in origins:
                self.send_header("Access-Control-Allow-Origin", origin)
                self.send_header("Access-Control-Allow-Credentials", "true")
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", ALLOWED_HEADERS)

        def _authorised(self) -> bool:
            given = self.headers.get("X-Baoxue-Token") or self.headers.get("Authorization", "").removeprefix("Bearer ")
            return hmac.compare_digest(given.strip().encode(), token.encode())

        def do_OPTIONS(self) -> None:
            self.send_response(204)
            self._cors()
            self.end_headers()

        def do_POST(self) -> None:
            if self.path not in ("/encode", "/decode"):
                self.send_error(404)
                return
            if not self._authorised():
                self.send_response(401)
                self._cors()
                self.end_headers()
                return
            try:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                payloads = json_format.Parse(body, Payloads()).payloads
                work = codec.encode if self.path == "/encode" else codec.decode
                result = asyncio.run(work(list(payloads)))
                out = json_format.MessageToJson(Payloads(payloads=result)).encode()
            except Exception:
                self.send_response(400)
                self._cors()
                self.end_headers()
                return
            self.send_response(200)
            self._cors()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args: object) -> None:
            pass

    return CodecHandler


def serve(codec: EncryptionCodec, *, port: int, token: str, origins: set[str]) -> ThreadingHTTPServer:
    return ThreadingHTTPServer(("127.0.0.1", port), make_handler(codec, token, origins))
