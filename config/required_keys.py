"""A server or worker that lacks a key it needs refuses to start, naming the setting (exit 2)."""

from __future__ import annotations

from collections.abc import Callable

from config.payload_codec import KeyringError, load_keyring
from config.secrets import SecretKeyError, load_data_key
from config.service_key import ServiceKeyError, load_service_key, trusted_service_keys
from config.settings import Settings
from domain.messages import t

EXIT_MISSING_KEY = 2


def missing_key(settings: Settings, *, service_key: bool) -> str | None:
    """The one line naming the first key this process lacks, or None. No key is created here."""
    checks: list[tuple[Callable[[], object], type[Exception], str]] = [
        (lambda: load_data_key(settings), SecretKeyError, "BAOXUE_SECRET_KEY / BAOXUE_SECRET_KEY_FILE"),
        (lambda: load_keyring(settings), KeyringError, "BAOXUE_CODEC_KEYS / BAOXUE_CODEC_KEY_FILE"),
    ]
    if service_key:
        setting = "BAOXUE_SERVICE_KEY / BAOXUE_SERVICE_KEY_FILE"
        checks.append((lambda: load_service_key(settings), ServiceKeyError, setting))
    else:
        setting = "BAOXUE_SERVICE_PUBLIC_KEY (or BAOXUE_SERVICE_KEY / BAOXUE_SERVICE_KEY_FILE)"
        checks.append((lambda: trusted_service_keys(settings), ServiceKeyError, setting))
    for load, error_type, setting in checks:
        try:
            load()
        except error_type as error:
            return t("missing_key_setting", detail=error, setting=setting)
    return None
