"""Before a worker or a server takes work: the database and Temporal it is pointed at answer, in
the namespace it names. A wrong setting is one line naming it and exit 2, not a traceback or a
worker that takes tasks it cannot finish."""

from __future__ import annotations

import asyncio

import psycopg

from config.local_stack import StackNotRunningError, database_url, temporal_namespace
from config.settings import Settings
from config.temporal_client import connect_temporal
from domain.messages import t

CHECK_SECONDS = 10


def unusable_setting(settings: Settings) -> str | None:
    """The one line naming the first setting that does not work, or None."""
    return _database_problem(settings) or asyncio.run(_temporal_problem(settings))


def _database_problem(settings: Settings) -> str | None:
    try:
        url = database_url(settings)
    except StackNotRunningError as error:
        return t(
            "setting_unusable", setting="BAOXUE_DATABASE_URL", detail=t("stack_not_running", data_dir=error.data_dir)
        )
    try:
        with psycopg.connect(
            url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=CHECK_SECONDS
        ) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return t("setting_unusable", setting="BAOXUE_DATABASE_URL", detail=_first_line(error))
    return None


async def _temporal_problem(settings: Settings) -> str | None:
    tls = settings.temporal_tls_cert or settings.temporal_tls_ca or settings.temporal_api_key
    where = "BAOXUE_TEMPORAL_ADDRESS" + (" / BAOXUE_TEMPORAL_TLS_* / BAOXUE_TEMPORAL_API_KEY" if tls else "")
    try:
        client = await asyncio.wait_for(connect_temporal(settings), CHECK_SECONDS)
    except Exception as error:  # the SDK raises RuntimeError, OSError or its own errors for a bad address or TLS
        return t("setting_unusable", setting=where, detail=_first_line(error))
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

    namespace = temporal_namespace(settings)
    try:
        await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=namespace), timeout=None)
    except Exception as error:
        return t("setting_unusable", setting="BAOXUE_TEMPORAL_NAMESPACE", detail=f"{namespace}: {_first_line(error)}")
    return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]
