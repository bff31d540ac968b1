"""One way to build a Temporal client, for the worker, the CLI and the tests alike."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import TLSConfig

from config.local_stack import temporal_address, temporal_namespace
from config.payload_codec import data_converter
from config.settings import Settings


def _tls(settings: Settings) -> TLSConfig | bool:
    if settings.temporal_tls_cert or settings.temporal_tls_ca:
        return TLSConfig(
            server_root_ca_cert=settings.temporal_tls_ca.read_bytes() if settings.temporal_tls_ca else None,
            client_cert=settings.temporal_tls_cert.read_bytes() if settings.temporal_tls_cert else None,
            client_private_key=settings.temporal_tls_key.read_bytes() if settings.temporal_tls_key else None,
        )
    return bool(settings.temporal_api_key)


async def connect_temporal(settings: Settings, *, address: str | None = None) -> Client:
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    return await Client.connect(
        address or temporal_address(settings),
        namespace=temporal_namespace(settings),
        data_converter=data_converter(settings),
        tls=_tls(settings),
        api_key=api_key,
    )
