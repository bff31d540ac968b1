"""`baoxue serve`: check every key the server needs, then run the API on uvicorn."""

from __future__ import annotations

import sys

from config.logging import configure_logging
from config.required_keys import EXIT_MISSING_KEY, missing_key
from config.settings import Settings
from domain.messages import set_lang
from starter.context import Context


def serve(settings: Settings, *, host: str | None = None, port: int | None = None) -> int:
    import uvicorn

    from api.app import create_app

    set_lang(settings.lang)
    configure_logging(settings.log_format, settings.log_level)
    problem = missing_key(settings, service_key=True)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_MISSING_KEY
    ctx = Context(pool_size=8)
    ctx.__dict__["settings"] = settings
    tls = {}
    if settings.api_tls_cert and settings.api_tls_key:
        tls = {"ssl_certfile": str(settings.api_tls_cert), "ssl_keyfile": str(settings.api_tls_key)}
    uvicorn.run(
        create_app(ctx),
        host=host or settings.api_host,
        port=port or settings.api_port,
        access_log=False,
        log_level="warning",
        **tls,
    )
    return 0
