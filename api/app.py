"""The FastAPI application: routes, the one Context they share, errors as exit codes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import escape

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import (
    admin,
    cases,
    codec_endpoint,
    dashboard,
    dashboard_auth,
    evidence,
    officers,
    reads,
    report,
    schools,
    supervision,
    xueji,
)
from api.auth import language
from api.body_limits import BodyLimits, BodyTooLarge
from api.errors import ERRORS, PAGE_ERRORS
from api.ledger_probe import LedgerProbe
from api.request_deadline import RequestDeadline
from api.timing import ServerTiming
from domain.messages import t
from domain.parsing import InputError
from starter.context import Context
from starter.errors import EXIT_FAILED, CliError

log = structlog.get_logger("baoxue.api")

HTTP_STATUS = {1: 500, 2: 400, 3: 403, 4: 404, 5: 401}


STATUS_EXIT = {400: 2, 401: 5, 403: 3, 404: 4, 405: 2, 413: 2, 415: 2, 422: 2}


def error_response(exit_code: int, message: str, code: str | None = None, request: Request | None = None) -> Response:
    """Every failure is one line for the officer and the exit code their command ends with; on
    a dashboard page, the same line as a page."""
    status = HTTP_STATUS.get(exit_code, 500)
    if request is not None and request.url.path.startswith("/dashboard"):
        head = '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>保学</title>'
        page = f'{head}<p id="error">{escape(message)}</p>'
        return HTMLResponse(page, status_code=status)
    body = {"exit": exit_code, "message": message, "code": code}
    return JSONResponse(body, status_code=status)


@asynccontextmanager
async def server_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Once the server is up: the re-check workflows of open campaigns are started (or found
    running), and the sweep that puts back cases raised for officers' steps runs until it stops."""
    from starter.rechecks import start_open_rechecks

    ctx: Context = app.state.ctx
    rechecks = asyncio.create_task(start_open_rechecks(ctx))
    sweep = asyncio.create_task(_raised_cases_sweep(ctx)) if ctx.settings.step_priority else None
    yield
    if not rechecks.done():
        rechecks.cancel()
    if sweep is not None:
        sweep.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sweep
    await app.state.ledger_probe.close()


async def _raised_cases_sweep(ctx: Context) -> None:
    """Until Temporal answers, each step puts its case back itself."""
    while True:
        try:
            client = await ctx.temporal()
            break
        except Exception as error:
            log.warning("raised_cases_sweep_waiting", error=type(error).__name__)
            await asyncio.sleep(10)
    await ctx.raised_cases.sweep(client)


def create_app(ctx: Context) -> FastAPI:
    app = FastAPI(
        lifespan=server_lifespan,
        title="baoxue",
        dependencies=[Depends(language)],
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.ctx = ctx
    app.state.ledger_probe = LedgerProbe(ctx)
    app.add_middleware(BodyLimits, register_bytes=ctx.settings.register_max_bytes)
    app.add_middleware(RequestDeadline, seconds=ctx.settings.request_seconds, probe=app.state.ledger_probe)
    app.add_middleware(ServerTiming)
    for module in (
        officers,
        cases,
        evidence,
        reads,
        report,
        admin,
        schools,
        supervision,
        xueji,
        dashboard_auth,
        codec_endpoint,
    ):
        app.include_router(module.router, responses=ERRORS)
    app.include_router(dashboard.router, responses=PAGE_ERRORS)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, error: BodyTooLarge) -> Response:
        return JSONResponse(
            {"exit": error.exit_code, "message": error.message, "code": "body_too_large"}, status_code=413
        )

    @app.exception_handler(CliError)
    async def refused(request: Request, error: CliError) -> Response:
        return error_response(error.exit_code, error.message, error.code, request)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, error: InputError) -> Response:
        return error_response(error.exit_code, error.message, request=request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        """Starlette's own refusals (an unknown path, a body that is not JSON…) in the one shape."""
        exit_code = STATUS_EXIT.get(error.status_code, EXIT_FAILED)
        message = t("bad_input", detail=error.detail) if exit_code == 2 else str(error.detail)
        return JSONResponse({"exit": exit_code, "message": message, "code": None}, status_code=error.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, error: RequestValidationError) -> Response:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        return error_response(2, t("bad_input", detail=detail))

    @app.exception_handler(OperationalError)
    async def database_down(_request: Request, error: OperationalError) -> Response:
        log.warning("database_unavailable", error_type=type(error.orig).__name__)
        return error_response(EXIT_FAILED, t("database_unavailable"))

    @app.exception_handler(DataError)
    async def unstorable(_request: Request, error: DataError) -> Response:
        """A value the database cannot hold (a NUL character, a number or date out of its range):
        the reader's input, refused as such."""
        log.info("bad_input_value", error_type=type(error.orig).__name__)
        return error_response(2, t("bad_input", detail=t("unstorable_value")))

    @app.exception_handler(PoolTimeout)
    async def database_busy(_request: Request, _error: PoolTimeout) -> Response:
        log.warning("database_unavailable", error_type="pool_timeout")
        return error_response(EXIT_FAILED, t("database_unavailable"))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, error: Exception) -> Response:
        log.exception("request_failed", error_type=type(error).__name__)
        return error_response(EXIT_FAILED, t("unexpected", error=type(error).__name__))

    return app
