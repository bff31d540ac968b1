"""`baoxue serve`: check every key the server needs, then run the API on uvicorn."""

from __future__ import annotations

import sys

from config.collector import SERVER_YOUNG, tune_collector
from config.logging import configure_logging
from config.preflight import unusable_setting
from config.required_keys import EXIT_MISSING_KEY, missing_key
from config.settings import Settings
from domain.messages import set_lang
from starter.context import Context


def serve(settings: Settings, *, host: str | None = None, port: int | None = None) -> int:
    import uvicorn

    from api.app import create_app

    set_lang(settings.lang)
    configure_logging(settings.log_format, settings.log_level)
    problem = missing_key(settings, service_key=True) or unusable_setting(settings)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_MISSING_KEY
    ctx = Context(settings, pool_size=8)
    certfile = keyfile = None
    if settings.api_tls_cert and settings.api_tls_key:
        certfile, keyfile = str(settings.api_tls_cert), str(settings.api_tls_key)
    app = create_app(ctx)
    tune_collector(young=SERVER_YOUNG, full_collection_seconds=0)
    uvicorn.run(
        app,
        host=host or settings.api_host,
        port=port or settings.api_port,
        access_log=False,
        log_level="warning",
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )
    return 0
