"""Settings, the roster and campaign files, logging: everything read from the outside world at start."""

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_ROSTER_FILE = CONFIG_DIR / "roster" / "pengshui.yaml"
DEFAULT_CAMPAIGNS_DIR = CONFIG_DIR / "campaigns"
