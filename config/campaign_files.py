"""Campaign files: config/campaigns/*.yaml and whatever `baoxue campaign add FILE` is given."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from domain.campaign import CampaignSpec


class CampaignFileError(ValueError):
    pass


def load_campaign_file(path: Path) -> CampaignSpec:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CampaignFileError(f"{path}: {exc}") from exc
    try:
        return CampaignSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise CampaignFileError(f"{path}: {problems}") from exc


def builtin_campaigns(folder: Path) -> list[CampaignSpec]:
    return [load_campaign_file(path) for path in sorted(folder.glob("*.yaml"))]
