"""The dashboard's pages as a browser gets them (api/dashboard.py): every page names its campaign
and offers the others; the case page shows what `case show` shows, the system as 系统, and its
evidence files inline (scoped and audited); the burn-down's target line starts where cases did."""

from __future__ import annotations

import asyncio
import traceback

from sqlalchemy import event, select

from ledger.models import AuditEntry
from tests.support.api import InProcessApi, open_case
from tests.support.cases import ANZI_OFFICER, CHIEF, OFFICER

PNG = bytes.fromhex("89504e470d0a1a0a") + b"\x00" * 32


async def test_pages_name_their_campaign_and_the_case_page_shows_what_case_show_shows(api: InProcessApi) -> None:
    case_no, _ = await open_case(api)
    upload = await api.call(OFFICER, "POST", f"/api/cases/{case_no}/evidence", raw=PNG)
    assert upload.status_code == 200, upload.text
    browser = await api.dashboard(CHIEF)
    overview = (await browser.get("/dashboard/")).text
    assert 'id="campaign-name"' in overview and "pengshui-2026" in overview
    assert 'id="campaign-select"' in overview and 'value="drill"' in overview
    drill = (await browser.get("/dashboard/", params={"campaign": "drill"})).text
    assert "（drill）" in drill and 'value="drill" selected' in drill
    page = (await browser.get(f"/dashboard/case/{case_no}")).text
    for shown in ('id="escalation"', 'id="chain"', "汪贤梁", "督办级别", "下次督办", "错过清零期限", "PNG 图片", "KB"):
        assert shown in page, shown
    picture = await browser.get(f"/dashboard/case/{case_no}/evidence/1")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert picture.content == PNG and picture.headers["content-disposition"] == "inline"
    with api.ctx.sessions() as session:
        seen = session.scalars(
            select(AuditEntry.action).where(AuditEntry.case_no == case_no, AuditEntry.action == "evidence_get")
        ).all()
    assert seen
    await browser.aclose()
    stranger = await api.dashboard(ANZI_OFFICER)
    refused = await stranger.get(f"/dashboard/case/{case_no}/evidence/1")
    assert refused.status_code == 403  # another township's officer sees none of it
    await stranger.aclose()


async def test_the_accountability_page_lists_reminders_not_delivered(api: InProcessApi) -> None:
    """What `escalations --failed` lists, the dashboard shows to the same readers."""
    from ledger.models import Case, Notification

    case_no, _ = await open_case(api)
    with api.ctx.sessions.begin() as session:
        case_id = session.scalars(select(Case.id).where(Case.case_no == case_no)).one()
        session.add(
            Notification(
                business_key=f"test-failed:{case_no}", case_id=case_id, event_seq=0, level=1, stage="home_visit",
                recipient="汪贤梁", message="x", status="failed", attempts=5, last_error="Connection refused",
                topic="escalated",
            )
        )  # fmt: skip
    browser = await api.dashboard(CHIEF)
    page = (await browser.get("/dashboard/accountability")).text
    assert 'id="failed"' in page and case_no in page and "Connection refused" in page
    await browser.aclose()
    stranger = await api.dashboard(ANZI_OFFICER)
    assert case_no not in (await stranger.get("/dashboard/accountability")).text
    await stranger.aclose()


async def test_no_page_waits_on_the_database_on_the_event_loop(api: InProcessApi) -> None:
    """Guards the event loop (docs/architecture.md, "The server's event loop"): each page's
    database work — the campaigns every page names included — runs in the thread pool, so a slow
    or frozen PostgreSQL holds up that page, never `/api/health` or another officer's step."""
    case_no, _ = await open_case(api)
    browser = await api.dashboard(CHIEF)
    on_the_loop: list[str] = []

    def checked_out(*_connection: object) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a thread of the pool
        on_the_loop.append("".join(traceback.format_stack(limit=8)))

    engine = api.ctx.sessions.kw["bind"]
    event.listen(engine, "checkout", checked_out)
    try:
        for path in (
            "/dashboard/", "/dashboard/burndown", "/dashboard/accountability", "/dashboard/inspections",
            "/dashboard/reporting", "/dashboard/cases", f"/dashboard/case/{case_no}",
        ):  # fmt: skip
            page = await browser.get(path)
            assert page.status_code == 200, (path, page.text)
    finally:
        event.remove(engine, "checkout", checked_out)
        await browser.aclose()
    assert not on_the_loop, on_the_loop[0]
