"""Children with no papers (docs/cli.md, "Children with no papers"): a case opened without an ID
number, and `case identify` once the number is known. Every personal fact is read from standard
input, one a line (or asked on a terminal), never from the command line."""

from __future__ import annotations

from typing import Any

import typer

from cli.case_commands import AsOption, CaseArg, JsonOption, invocation, secret_value, send_signed
from cli.errors import bad_input
from cli.output import echo, print_json
from cli.session import Invocation, signed_server
from domain.labels import label
from domain.messages import t
from domain.parsing import check_fields, parse_date, parse_id_number

PROVISIONAL_FACTS = ("name", "birth_date", "guardian", "village")
"""What `case open --no-id-number` reads, in this order, one a line."""


def provisional_facts() -> dict[str, str]:
    """Name, birth date (YYYY-MM-DD), guardian's name and village, from standard input."""
    facts = {key: secret_value("-", t(f"provisional_{key}"), hide=False).strip() for key in PROVISIONAL_FACTS}
    missing = [key for key, value in facts.items() if not value]
    if missing:
        raise bad_input(t("provisional_missing", fields="、".join(t(f"provisional_{key}") for key in missing)))
    parse_date(facts["birth_date"], t("provisional_birth_date"))
    check_fields(dict(facts))
    return facts


def open_provisional(inv: Invocation, body: dict[str, Any], as_json: bool) -> None:
    """`case open --no-id-number`: the four facts key the child; the case says it is provisional."""
    result = signed_server(inv).request(
        "POST", "/api/cases", body={**body, **provisional_facts(), "no_id_number": True}
    )
    if as_json:
        print_json({**result, "provisional": True})
    elif result["created"]:
        echo(t("case_opened_provisional", case_no=result["case_no"]))
    else:
        echo(t("case_exists", kind=label("kind", body["kind"]), case_no=result["case_no"]))


def identify(typer_ctx: typer.Context, case_ref: CaseArg, actor: AsOption = None, as_json: JsonOption = False) -> None:
    """为无身份证号立案的儿童补录身份证号（从标准输入读取，或在终端提示输入）。

    该儿童在本次排查中已有同类案件时，两案合并：保留已有案件的编号，本案以“已合并”销号，两案历史都保留，两个乡镇都收到通知。"""
    inv = invocation(typer_ctx, actor)
    id_number = parse_id_number(secret_value("-", "身份证号", hide=True))
    beside = {"id_number": id_number}
    answer = send_signed(signed_server(inv), case_ref, "identify", {}, path="/identify", beside=beside)
    if as_json:
        print_json(answer)
        return
    if answer["merged_into"]:
        echo(t("case_merged", case_no=answer["identified"], kept=answer["merged_into"]))
    else:
        echo(t("case_identified", case_no=answer["identified"]))
    for warning in answer.get("warnings", []):
        echo(warning)
