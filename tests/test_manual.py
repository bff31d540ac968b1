"""The manual in Chinese covers the whole CLI: every command of the client and the host is named
in the guide (docs/使用手册.md) and has its section, with every option, in the command reference
(docs/zh/命令参考.md), which is exactly what the commands say of themselves; README opens in
Chinese. No services needed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "使用手册.md"
REFERENCE = ROOT / "docs" / "zh" / "命令参考.md"
CJK = re.compile(r"[\u4e00-\u9fff]")


def inventory() -> dict[str, list[str]]:
    """Every command path with its long options, as a separate process sees them (in Chinese)."""
    script = (
        "import json\n"
        "from cli.manual import full_command, _commands\n"
        "import click\n"
        "print(json.dumps({' '.join(p): [o for q in c.params if isinstance(q, click.Option) for o in q.opts"
        " if o.startswith('--') and o != '--help'] for p, c in _commands(full_command(), [])"
        " if not isinstance(c, click.Group)}, ensure_ascii=False))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOXUE_")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    import json

    return json.loads(done.stdout)


def sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## `baoxue ([^`]+)`$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def test_the_reference_is_what_the_commands_say() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOXUE_")}
    done = subprocess.run([sys.executable, "-m", "cli.manual", "--check"], env=env, cwd=ROOT, capture_output=True)
    assert done.returncode == 0, "docs/zh/命令参考.md is stale: run python -m cli.manual"


def test_every_command_and_option_is_in_the_manual() -> None:
    commands = inventory()
    assert len(commands) > 60 and "notify" in commands and "up" in commands and "case plan" in commands
    guide = GUIDE.read_text(encoding="utf-8")
    reference = sections(REFERENCE.read_text(encoding="utf-8"))
    missing_in_guide = [path for path in commands if not re.search(rf"baoxue {re.escape(path)}(?![\w-])", guide)]
    assert missing_in_guide == []
    for path, options in commands.items():
        assert path in reference, path
        absent = [option for option in options if f"`{option}" not in reference[path]]
        assert absent == [], (path, absent)
    assert "zh/命令参考.md" in guide


def test_the_manual_and_readme_are_in_chinese() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    assert len(CJK.findall(guide)) > len(re.findall(r"[A-Za-z]", guide))  # letters: the commands themselves
    first_screen = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:24])
    assert len(CJK.findall(first_screen)) > len(re.findall(r"[A-Za-z]", first_screen)), first_screen
    assert "使用手册" in first_screen and "pip install -e '.[dev]'" in first_screen
