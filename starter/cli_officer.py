"""`officer add`, `officer list`: the people who act on cases."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.table import Table
from temporalio.service import RPCError

from config.temporal_client import connect_temporal
from domain.actors import Actor
from domain.enums import Role
from domain.scope import townships_in_scope
from domain.signing import OfficerKey, public_key_of
from ledger.cases import CaseFilter, list_cases
from ledger.officers import list_officers, set_public_key, upsert_officer
from starter.context import Context, JsonOption, print_json
from starter.errors import BadInput
from starter.keys import issue_key, private_key
from starter.messages import t
from starter.parsing import parse_choice
from workflows.case import CaseWorkflow

officer_app = typer.Typer(help="Officers: case officers and the roster's chain.", no_args_is_help=True)


def _shown_url(url: str) -> str:
    """A notify URL without its secrets (webhook tokens, passwords): scheme and host only."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}/…"


@officer_app.command("add")
def add(
    typer_ctx: typer.Context,
    name: Annotated[str, typer.Option("--name")],
    role: Annotated[str, typer.Option("--role", help="case_officer|section_chief|office_head|group_leader|county")],
    township: Annotated[str | None, typer.Option("--township", help="Required for a case officer")] = None,
    notify: Annotated[list[str] | None, typer.Option("--notify", help="An apprise URL, repeatable")] = None,
    key_file: Annotated[
        Path | None, typer.Option("--key-file", help="Write the officer's private key here (default: the profile)")
    ] = None,
) -> None:
    """Register an officer, or update one (role, township, notify URLs); issue their signing key."""
    ctx: Context = typer_ctx.obj
    officer_role = parse_choice(Role, role, "--role")
    assert officer_role is not None
    clean_name = name.strip()
    if not clean_name:
        raise BadInput(t("bad_value", option="--name", value=repr(name)))
    canonical = None
    if officer_role == Role.case_officer:
        if not township:
            raise BadInput(t("township_required"))
        canonical = ctx.chain(township).township
    elif township:
        raise BadInput(t("township_not_allowed"))
    roster_roles = ctx.roster.people().get(clean_name)
    if roster_roles and officer_role.value not in roster_roles:
        raise BadInput(
            t("officer_role_conflict", name=clean_name, roles="/".join(sorted(roster_roles)), role=officer_role.value)
        )
    urls = [u.strip() for u in notify or [] if u.strip()]
    for url in urls:
        if "://" not in url:
            raise BadInput(t("bad_value", option="--notify", value=_shown_url(url)))
    with ctx.sessions.begin() as session:
        upsert_officer(session, name=clean_name, role=officer_role.value, township=canonical, notify_urls=urls)
    existing = private_key(ctx.settings.model_copy(update={"key_file": key_file}), clean_name)
    public = public_key_of(existing) if existing else issue_key(ctx.settings, clean_name, key_file=key_file)
    with ctx.sessions.begin() as session:
        set_public_key(session, name=clean_name, role=officer_role.value, township=canonical, public_key=public)
    entry = OfficerKey(name=clean_name, role=officer_role, township=canonical, public_key=public)
    asyncio.run(tell_open_cases(ctx, entry))
    typer.echo(t("officer_saved", name=clean_name, role=officer_role.value))


async def tell_open_cases(ctx: Context, entry: OfficerKey) -> int:
    """Open cases in the officer's scope learn their key (refreshing the registry snapshot)."""
    scope = townships_in_scope(Actor(name=entry.name, role=entry.role, township=entry.township), ctx.roster)
    with ctx.sessions() as session:
        cases = list_cases(session, where=CaseFilter(open_only=True, townships=scope))
    if not cases:
        return 0
    client = await connect_temporal(ctx.settings)
    for case in cases:
        with contextlib.suppress(RPCError):
            await client.get_workflow_handle(case.workflow_id).signal(CaseWorkflow.update_officers, {entry.name: entry})
    return len(cases)


def all_officers(ctx: Context) -> list[dict[str, Any]]:
    with ctx.sessions() as session:
        registered = list_officers(session)
    rows: dict[str, dict[str, Any]] = {}
    for chain in ctx.roster.chains():
        for role, person in (
            ("section_chief", chain.section_chief),
            ("office_head", chain.office_head),
            ("group_leader", chain.group_leader),
        ):
            entry = rows.setdefault(
                person,
                {
                    "name": person,
                    "role": role,
                    "township": None,
                    "group": chain.group,
                    "townships": [],
                    "notify": [],
                    "source": "roster",
                },
            )
            if chain.township not in entry["townships"]:
                entry["townships"].append(chain.township)
    for officer in registered:
        entry = rows.get(officer.name) or {"name": officer.name, "group": None, "townships": [], "source": "registry"}
        if officer.township:
            chain = ctx.roster.resolve(officer.township)
            entry.update(group=chain.group, townships=[chain.township])
        entry.update(
            role=officer.role,
            township=officer.township,
            notify=[_shown_url(u) for u in officer.notify_urls],
            source="roster+registry" if entry.get("source") == "roster" else "registry",
        )
        rows[officer.name] = entry
    return list(rows.values())


@officer_app.command("list")
def list_(typer_ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every officer: the roster's people and those registered, with their scope."""
    ctx: Context = typer_ctx.obj
    rows = all_officers(ctx)
    if as_json:
        print_json(rows)
        return
    table = Table("name", "role", "township", "group", "scope", "notify")
    for row in rows:
        table.add_row(
            row["name"],
            row["role"],
            row["township"] or "",
            str(row["group"] or ""),
            "、".join(row["townships"]) if row["role"] != "county" else "*",
            str(len(row["notify"])),
        )
    Console().print(table)
