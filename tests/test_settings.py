from __future__ import annotations

import os
from pathlib import Path

import pytest

from config.local_stack import StackNotRunningError, database_url, temporal_address
from config.settings import Settings, load_settings
from ledger.db import masked_url, sqlalchemy_url


def test_defaults() -> None:
    settings = Settings()
    assert settings.temporal_address is None
    assert settings.database_url is None
    assert settings.data_dir == Path(".baoxue")
    assert settings.lang == "zh"
    assert settings.temporal_namespace == "default"
    assert settings.roster_file.name == "pengshui.yaml"


def test_environment_with_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAOXUE_TEMPORAL_ADDRESS", "temporal.example:7233")
    monkeypatch.setenv("BAOXUE_DATABASE_URL", "postgresql://app:secret@db/baoxue")
    monkeypatch.setenv("BAOXUE_LANG", "en")
    monkeypatch.setenv("BAOXUE_TEMPORAL_API_KEY", "key")
    settings = Settings()
    assert temporal_address(settings) == "temporal.example:7233"
    assert database_url(settings) == "postgresql://app:secret@db/baoxue"
    assert settings.lang == "en"
    assert settings.uses_tls


def test_toml_file_under_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "baoxue.toml"
    toml.write_text('task_queue = "from-toml"\nlang = "en"\ndata_dir = "/srv/baoxue"\n', encoding="utf-8")
    monkeypatch.setenv("BAOXUE_CONFIG_FILE", str(toml))
    monkeypatch.setenv("BAOXUE_LANG", "zh")
    settings = Settings()
    assert settings.task_queue == "from-toml"
    assert settings.data_dir == Path("/srv/baoxue")
    assert settings.lang == "zh"


def test_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAOXUE_DATA_DIR", "/env/dir")
    assert load_settings(data_dir=Path("/cli/dir")).data_dir == Path("/cli/dir")
    assert load_settings(data_dir=None).data_dir == Path("/env/dir")


def test_unset_addresses_need_the_local_stack(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    with pytest.raises(StackNotRunningError):
        temporal_address(settings)
    with pytest.raises(StackNotRunningError):
        database_url(settings)


def test_urls_masked_and_psycopg_driver() -> None:
    assert masked_url("postgresql://app:secret@db:5432/baoxue") == "postgresql://app:***@db:5432/baoxue"
    assert sqlalchemy_url("postgresql://app@db/baoxue").startswith("postgresql+psycopg://")
    assert "BAOXUE_TEMPORAL_ADDRESS" not in os.environ


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"stages": {"home_visit": "PT0S"}}, "stages.home_visit"),
        ({"kinds": {"funding": {"closure": "-P1D"}}}, "kinds.funding.closure"),
        ({"escalation": {"level1_after": "P2D", "level2_after": "P1D"}}, "escalation.level2_after"),
        ({"escalation": {"repeat_every": "PT0S"}}, "escalation.repeat_every"),
        ({"escalation": {"repeat_every": "PT10M"}}, "escalation.repeat_every"),
    ],
)
def test_a_campaign_file_with_a_mistaken_duration_is_refused_naming_the_field(
    tmp_path, change: dict, field: str
) -> None:
    import yaml

    from config import DEFAULT_CAMPAIGNS_DIR
    from config.campaign_files import CampaignFileError, load_campaign_file

    data = yaml.safe_load((DEFAULT_CAMPAIGNS_DIR / "pengshui-2026.yaml").read_text(encoding="utf-8"))
    for key, value in change.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CampaignFileError) as raised:
        load_campaign_file(path)
    assert field in str(raised.value)


def test_a_drill_may_remind_every_few_seconds() -> None:
    from config import DEFAULT_CAMPAIGNS_DIR
    from config.campaign_files import load_campaign_file

    drill = load_campaign_file(DEFAULT_CAMPAIGNS_DIR / "drill.yaml")
    assert drill.drill and drill.escalation.repeat_every.total_seconds() == 8
