"""Chinese is the interface: every --help line and message in Chinese by default, English with
BAOXUE_LANG=en, one catalogue with nothing missing. No services needed."""

from __future__ import annotations

import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from domain.errors import RULE_MESSAGES, render
from domain.i18n import translate
from domain.labels import LABELS, label
from domain.messages import MESSAGES
from tests.support.stack import BAOXUE

# Words that stay as they are in a Chinese help text: product and protocol names, file formats.
KEPT = {
    "baoxue", "worker", "temporal", "postgresql", "api", "web", "ui", "grpc", "json", "yaml", "apprise",
    "url", "xlsx", "csv", "utf", "gb18030", "codec", "id", "tls", "yyyy", "mm", "dd", "encode", "decode",
    "excel", "jpg", "png", "pdf", "mb",
}  # fmt: skip
CJK = re.compile(r"[\u4e00-\u9fff]")


def command_paths() -> list[list[str]]:
    from cli.main import app

    paths: list[list[str]] = [[]]

    def walk(typer_app: object, prefix: list[str]) -> None:
        for command in typer_app.registered_commands:  # type: ignore[attr-defined]
            paths.append([*prefix, command.name or command.callback.__name__])
        for group in typer_app.registered_groups:  # type: ignore[attr-defined]
            paths.append([*prefix, group.name])
            walk(group.typer_instance, [*prefix, group.name])

    walk(app, [])
    return paths


def help_of(path: list[str], lang: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOXUE_")}
    env.update(COLUMNS="80", BAOXUE_PROFILE_DIR="/nonexistent/profile")
    if lang:
        env["BAOXUE_LANG"] = lang
    done = subprocess.run([BAOXUE, *path, "--help"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, (path, done.stderr)
    assert done.stderr == ""
    return done.stdout


def english_words(line: str) -> list[str]:
    text = re.sub(r"^  [a-z][a-z_-]*\b", "", line)  # a command's own name in its group's list
    text = re.sub(r"--?[a-z][a-z-]*", " ", text)  # options
    text = re.sub(r"\b[a-z_]+(\|[a-z_0-9]+)+\b", " ", text)  # choices: dropout|disability
    text = re.sub(r"（[a-z_0-9]+）", " ", text)  # a choice's code beside its words: 辍学（dropout）
    text = re.sub(r"\b[A-Z][A-Z0-9_]*\b", " ", text)  # metavars, settings: TEXT, BAOXUE_ACTOR
    text = re.sub(r"https?://\S+|\d+(\.\d+)+|\S*/\S*", " ", text)  # URLs, addresses, paths
    commands = {word for path in command_paths() for word in path for word in word.split("-")}
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w.lower() not in KEPT and w not in commands]


@pytest.fixture(scope="module")
def helps() -> dict[tuple[str, str | None], str]:
    jobs = [(" ".join(path), lang) for path in command_paths() for lang in (None, "en")]
    with ThreadPoolExecutor(4) as pool:
        texts = list(pool.map(lambda job: help_of(job[0].split(), job[1]), jobs))
    return dict(zip(jobs, texts, strict=True))


def test_every_help_line_is_chinese_by_default(helps: dict[tuple[str, str | None], str]) -> None:
    english = [
        (command or "baoxue", line.strip())
        for (command, lang), text in helps.items()
        if lang is None
        for line in text.splitlines()
        if english_words(line)
    ]
    assert english == []


def test_every_help_fits_80_columns_whole(helps: dict[tuple[str, str | None], str]) -> None:
    """At COLUMNS=80 no help line is wider than 80 columns, nothing is cut with "…", every choice
    is listed with its code and no line starts with closing punctuation."""
    from domain.layout import CLOSING, display_width

    for (command, lang), text in helps.items():
        for line in text.splitlines():
            assert display_width(line) <= 80, (command, lang, line)
            assert not re.search(r"(…|\.\.\.)\s*│?\s*$", line.replace("[参数]...", "").replace("[ARGS]...", "")), line
            assert not (line.strip() and line.strip()[0] in CLOSING), (command, lang, line)
    stage_help = helps[("cases", None)]
    assert all(f"（{code}）" in stage_help.replace("\n", "").replace(" ", "") for code in ("home_visit", "closure"))
    assert "入户走访" in stage_help


def test_every_help_is_english_with_baoxue_lang_en(helps: dict[tuple[str, str | None], str]) -> None:
    for (command, lang), text in helps.items():
        if lang == "en":
            assert "Show this message and exit." in text, command
            described = [line for line in text.splitlines() if line.strip() and not line.strip().startswith("│")]
            names = ("保学", "镇/乡/街道", "包片责任制一览表")
            plain = [re.sub("|".join(names), "", line) for line in described[:3]]
            assert not any(CJK.search(line) for line in plain), (command, described[:3])


def test_the_catalogue_is_complete_and_compiled() -> None:
    from tests.support.catalogue import problems

    assert problems() == []


def test_every_message_reads_in_both_languages() -> None:
    for template in [*MESSAGES.values(), *RULE_MESSAGES.values()]:
        if not CJK.search(template):
            continue
        english = translate(template, "en")
        assert english != template and not CJK.search(english.replace("镇/乡/街道", "")), template
    for category, values in LABELS.items():
        for value in values:
            assert CJK.search(label(category, value)) and not CJK.search(label(category, value, "en")), value


def test_refusals_name_options_and_people_not_fields() -> None:
    assert render("missing_field", {"field": "disability_category"}, "zh") == "缺少必填项：--disability-category"
    assert render("future_date", {"field": "visited_on", "today": "2026-11-29"}, "zh").startswith("--visited-on")
    assert "无权办理梅子垭镇的案件" in render(
        "not_permitted", {"actor": "李老师", "role": "case_officer", "township": "梅子垭镇"}, "zh"
    )
    assert "办案人员" in render("not_permitted", {"actor": "李", "role": "case_officer", "township": "x"}, "zh")
    assert "排除" in render("four_eyes", {"actor": "李老师", "did": "excluded"}, "zh")
    assert "复学确认" in render("four_eyes", {"actor": "李老师", "did": "confirmed"}, "zh")


@pytest.mark.parametrize(
    ("env", "args"),
    [
        ({"BAOXUE_LANG": "fr"}, ["whoami"]),
        ({}, ["case", "note"]),
        ({}, ["cases", "--limit", "x"]),
        ({}, ["case", "nope"]),
    ],
)
def test_bad_settings_and_usage_are_exit_2_and_one_chinese_line(env: dict[str, str], args: list[str]) -> None:
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("BAOXUE_")}
    run_env.update(env, BAOXUE_PROFILE_DIR=str(Path("/nonexistent")))
    done = subprocess.run([BAOXUE, *args], capture_output=True, text=True, env=run_env, timeout=60)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and CJK.search(done.stderr), done.stderr
    assert done.stdout == ""
