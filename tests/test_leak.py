"""A marker child must be found in plaintext nowhere: not in Temporal (raw history, list output,
the dev server's SQLite file), not in any PostgreSQL table, not in any log."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from pathlib import Path

import psycopg
import pytest
from temporalio.client import Client

from domain.id_number import make_id_number
from tests.support.history import decoded_payloads
from tests.support.stack import RunningStack, running_stack

pytestmark = pytest.mark.stack

MARKER_NAME = "漏检标记娃"
MARKER_ID = make_id_number("500243", dt.date(2015, 7, 14), 909)
OFFICER = "梅子垭漏检测试员"
YUSHAN = "郁山漏检测试员"
EVIDENCE_MARKER = "佐证照片里的漏检标记".encode() + b"\x00EVIDENCE-MARKER-7f3a"


def needles() -> list[bytes]:
    """The marker as UTF-8, as hex, and as JSON escapes it (logs and JSON columns write \\uXXXX)."""
    raw = [MARKER_NAME.encode(), MARKER_ID.encode(), MARKER_ID[6:14].encode()]
    escaped = json.dumps(MARKER_NAME)[1:-1].encode()
    hexed = [n.hex().encode() for n in (*raw[:2], EVIDENCE_MARKER)]
    return [*raw, escaped, escaped.lower(), EVIDENCE_MARKER, *hexed]


def assert_clean(where: str, blob: bytes) -> None:
    for needle in needles():
        assert needle not in blob, f"{needle!r} found in {where}"


async def temporal_views(address: str) -> bytes:
    client = await Client.connect(address)
    out = b""
    async for execution in client.list_workflows():
        out += repr(execution.raw_info).encode() + execution.id.encode()
        history = await client.get_workflow_handle(execution.id).fetch_history()
        out += history.to_json().encode() + decoded_payloads(history.to_json())
    return out


TARGET = (dt.date.today() + dt.timedelta(days=30)).isoformat()


def check_evidence(stack: RunningStack, case_no: str, photo: Path, tmp_path: Path) -> None:
    """The photo uploaded with `confirm`: listed, fetched byte-identical by the section chief,
    refused to another township's officer; a text file named .png refused by its content."""
    listed = stack.baoxue("case", "evidence", case_no, "--json", actor=OFFICER).json()
    assert [(e["n"], e["media_type"], e["size"]) for e in listed] == [(1, "image/png", photo.stat().st_size)]
    assert listed[0]["sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()
    out = tmp_path / "取回.png"
    fetched = stack.baoxue("case", "evidence", case_no, "--get", "1", "--out", str(out), actor="汪贤梁")
    assert fetched.code == 0, fetched.stderr
    assert out.read_bytes() == photo.read_bytes()
    assert EVIDENCE_MARKER not in fetched.stdout.encode()
    refused = stack.baoxue("case", "evidence", case_no, "--get", "1", "--out", str(out) + ".2", actor=YUSHAN)
    assert refused.code == 3 and not Path(str(out) + ".2").exists()
    fake = tmp_path / "假照片.png"
    fake.write_text("不是图片", encoding="utf-8")
    wrong = stack.baoxue(
        "case", "follow-up", case_no, "--attending", "yes", "--evidence-file", str(fake), actor=OFFICER
    )
    assert wrong.code == 2 and "PDF" in wrong.stderr, wrong.stderr
    out.unlink()


def test_marker_child_is_nowhere_in_plaintext(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    photo = tmp_path / "返校照片.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + EVIDENCE_MARKER + bytes(range(256)))
    with running_stack(data_dir) as stack:
        stack.add_here(OFFICER, "case_officer", "--township", "梅子垭镇")
        stack.add_here(YUSHAN, "case_officer", "--township", "郁山镇")
        opened = stack.baoxue(
            "case",
            "open",
            "--kind",
            "disability",
            "--id-number",
            "-",
            "--name",
            "-",
            "--township",
            "梅子垭镇",
            "--village",
            f"{MARKER_NAME}家所在村",
            "--reason",
            f"{MARKER_NAME}未办理送教上门",
            "--json",
            actor=OFFICER,
            stdin=f"{MARKER_ID}\n{MARKER_NAME}\n",
        )
        assert opened.code == 0, opened.stderr
        case_no = opened.json()["case_no"]
        outputs = [opened.stdout, opened.stderr]
        for args in (
            (
                "case",
                "visit",
                case_no,
                "--finding",
                "confirmed",
                "--disability-category",
                "视力",
                "--note",
                f"走访{MARKER_NAME}，身份证{MARKER_ID}",
            ),
            ("case", "note", case_no, f"{MARKER_NAME}的家长外出"),
            (
                "case",
                "plan",
                case_no,
                "--arrangement",
                "inclusive_class",
                "--target-date",
                TARGET,
                "--responsible",
                "李老师:班主任",
            ),
            ("case", "confirm", case_no, "--evidence-file", str(photo), "--school", "梅子垭镇中心校"),
            ("cases", "--json"),
            ("escalations", "--json"),
        ):
            done = stack.baoxue(*args, actor=OFFICER)
            assert done.code == 0, (args, done.stderr)
            outputs += [done.stdout, done.stderr]
        # `case show` shows the officer what they typed (the intake, the visit's note) back: the
        # child's own name and ID number in it stay masked.
        shown = stack.baoxue("case", "show", case_no, "--json", actor=OFFICER).json()
        assert shown["child"]["name"] == MARKER_NAME[0] + "*" * (len(MARKER_NAME) - 1)
        entered = {key: shown.pop(key) for key in ("intake", "visit", "plan", "confirmation")}
        assert MARKER_NAME in json.dumps(entered, ensure_ascii=False)
        outputs.append(json.dumps(shown, ensure_ascii=False))
        table = stack.baoxue("case", "show", case_no, actor=OFFICER)
        child_line = next(line for line in table.stdout.splitlines() if line.startswith("儿童"))
        assert MARKER_ID not in child_line and "漏****" in child_line  # what the officer typed is theirs
        history = stack.baoxue("case", "history", case_no, "--json", actor=OFFICER)
        assert MARKER_NAME in history.stdout  # the officer reads their own notes back, decrypted
        bad = stack.baoxue(
            "case",
            "open",
            "--kind",
            "dropout",
            "--id-number",
            MARKER_ID[:-1] + "0",
            "--name",
            MARKER_NAME,
            "--township",
            "梅子垭镇",
            actor=OFFICER,
        )
        outputs += [bad.stderr]
        assert_clean("CLI output", "".join(outputs).encode())
        check_evidence(stack, case_no, photo, tmp_path)

        state = stack.state()
        assert_clean("Temporal history and list", asyncio.run(temporal_views(state["temporal"]["address"])))
        with psycopg.connect(stack.owner_url()) as conn:
            tables = [
                r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
            ]
            assert {"students", "cases", "case_events", "register_rows", "audit_log", "notifications"} <= set(tables)
            for table in tables:
                rows = conn.execute(f'SELECT t::text FROM "{table}" t').fetchall()
                assert_clean(f"table {table}", "\n".join(r[0] for r in rows).encode())
    for path in sorted((data_dir / "temporal").iterdir()) + sorted((data_dir / "logs").iterdir()):
        assert_clean(str(path), path.read_bytes())
    assert_clean("up's own output", (tmp_path / "data-up.log").read_bytes())
