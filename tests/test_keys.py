"""Keys: only `up` creates them; the data key rotates without losing old data or a child's key."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import subprocess
from pathlib import Path

import pytest

from config.secrets import SecretKeyError, load_data_key, load_data_keys
from config.settings import Settings
from domain.id_number import make_id_number
from ledger.personal import PersonalDataCipher, _derive
from tests.support.stack import BAOXUE

CHILD = make_id_number("500243", dt.date(2013, 4, 5), 12)


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("BAOXUE_")}
    base.update(BAOXUE_CONFIG_FILE="/nonexistent/baoxue.toml", **env)
    return subprocess.run([BAOXUE, *args], capture_output=True, text=True, env=base, timeout=60)


def test_the_child_key_is_hmac_sha256_under_the_derived_key() -> None:
    """The child key is computed from prepared SHA-256 states, not `hmac`: it must stay the very
    HMAC every stored case and register row was keyed with."""
    master = bytes(range(32))
    expected = hmac.new(_derive(master, b"child-key"), CHILD.encode(), hashlib.sha256).hexdigest()
    cipher = PersonalDataCipher([master, b"\x01" * 32])
    assert cipher.child_key(CHILD) == expected
    assert cipher.child_keys([CHILD, CHILD[:-1] + "X"]) == [expected, cipher.child_key(CHILD[:-1] + "X")]


def test_nothing_but_up_creates_a_data_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(SecretKeyError):
        load_data_key(settings)
    assert not (tmp_path / "secret.key").exists()


def test_a_rotated_data_key_keeps_old_data_and_the_child_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    load_data_key(settings, create=True)
    before = PersonalDataCipher(load_data_keys(settings))
    sealed = before.encrypt("王小明", context="student:x:name")
    done = run("secret", "rotate", "--data-dir", str(tmp_path))
    assert done.returncode == 0 and done.stderr == "", done.stderr
    after = PersonalDataCipher(load_data_keys(settings))
    assert len(load_data_keys(settings)) == 2
    assert oct((tmp_path / "secret.key").stat().st_mode & 0o777) == "0o600"
    assert after.decrypt(sealed, context="student:x:name") == "王小明"
    assert after.child_key(CHILD) == before.child_key(CHILD)
    newer = after.encrypt("李小红", context="c")
    assert newer[0] == 2
    with pytest.raises(IndexError):  # the old key alone cannot read what the new one sealed
        before.decrypt(newer, context="c")


def test_rotation_of_a_key_from_the_environment_says_what_to_set(tmp_path: Path) -> None:
    done = run("secret", "rotate", BAOXUE_SECRET_KEY="ab" * 32, BAOXUE_DATA_DIR=str(tmp_path))
    assert done.returncode == 0
    value = done.stdout.strip().splitlines()[-1]
    assert value.startswith("ab" * 32 + ",") and len(value.split(",")) == 2
    assert not (tmp_path / "secret.key").exists()
    missing = run("secret", "rotate", BAOXUE_DATA_DIR=str(tmp_path / "none"))
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
