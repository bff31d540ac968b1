"""The shipped campaign files: parsed once per change, added to the ledger once per change, and
still found in a ledger that lost them (starter/shipped_campaigns.py)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from config.settings import Settings
from ledger.models import Campaign
from starter.case_service import resolve_campaign
from starter.context import Context
from starter.shipped_campaigns import ShippedCampaigns

SHIPPED = Path(__file__).resolve().parent.parent / "config" / "campaigns" / "pengshui-2021.yaml"
"""A campaign long past its deadline: never the current one, whatever else the session's ledger holds."""


def shipped_copy(folder: Path, name: str) -> Path:
    text = SHIPPED.read_text(encoding="utf-8").replace("name: pengshui-2021", f"name: {name}")
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_files_are_parsed_again_only_when_they_change(tmp_path: Path) -> None:
    path = shipped_copy(tmp_path, "shipped-a")
    shipped = ShippedCampaigns(tmp_path)
    first = shipped.current()
    assert shipped.current() is first and [s.name for s in first.specs] == ["shipped-a"]
    assert shipped.pending() is first
    shipped.added(first)
    assert shipped.pending() is None
    path.write_text(path.read_text(encoding="utf-8").replace("清零", "清零（改）") + "\n", encoding="utf-8")
    changed = shipped.current()
    assert changed is not first and shipped.pending() is changed
    shipped_copy(tmp_path, "shipped-b")
    assert [s.name for s in shipped.current().specs] == ["shipped-a", "shipped-b"]


@pytest.fixture
def campaigns_ctx(database_url: str, tmp_path: Path):
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        campaigns_dir=tmp_path / "campaigns",
    )
    settings.campaigns_dir.mkdir()
    ctx = Context(settings)
    yield ctx
    ctx.close()


def test_a_ledger_that_lost_a_shipped_campaign_still_finds_it(campaigns_ctx: Context) -> None:
    """Guards the second look: added once, the campaign is not added again on each request — but
    a ledger restored without it (under a running server) still resolves it by name."""
    name = f"shipped-{secrets.token_hex(4)}"
    shipped_copy(campaigns_ctx.settings.campaigns_dir, name)
    assert resolve_campaign(campaigns_ctx, name).name == name
    assert campaigns_ctx.shipped_campaigns.pending() is None
    with campaigns_ctx.sessions.begin() as session:
        session.execute(delete(Campaign).where(Campaign.name == name))
    assert resolve_campaign(campaigns_ctx, name).name == name
    with campaigns_ctx.sessions() as session:
        assert session.scalars(select(Campaign.name).where(Campaign.name == name)).all() == [name]
