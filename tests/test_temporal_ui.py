"""Decoded histories for supervisors in Temporal's web UI (`up --ui`), in Chromium: a county
officer's codec endpoint set in the UI's codec settings, the case's input and an officer's step
shown decoded — and not without it — each decode in the audit log."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest

from domain.id_number import make_id_number
from tests.support.stack import running_stack, wait_until

pytestmark = pytest.mark.stack

COUNTY = "县教委解码督查员"
NOTE = "解码后才看得见的走访备注"


def _update_rows_expanded(browser: Any) -> str:
    """The event history with each accepted update (a step) opened; the page's text."""
    from selenium.webdriver.common.by import By

    for row in browser.find_elements(By.XPATH, "//*[contains(text(),'Update Accepted')]"):
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", row)
        time.sleep(1)
    return str(browser.page_source)


def test_a_supervisor_reads_a_decoded_step_in_the_web_ui(tmp_path: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    with running_stack(tmp_path / "data", web_ui=True) as stack:
        stack.add_here(COUNTY, "county")
        child = make_id_number("500243", dt.date(2013, 2, 2), 612)
        opened = stack.baoxue(
            "case", "open", "--kind", "dropout", "--township", "梅子垭镇", "--json", actor=COUNTY,
            stdin=f"{child}\n某某\n",
        )  # fmt: skip
        assert opened.code == 0, opened.stderr
        case_no = opened.json()["case_no"]
        workflow_id = stack.baoxue("case", "show", case_no, "--json", actor=COUNTY).json()["workflow_id"]
        assert stack.baoxue("case", "note", case_no, NOTE, actor=COUNTY).code == 0
        minted = stack.baoxue("dashboard", "--codec-endpoint", actor=COUNTY)
        assert minted.code == 0, minted.stderr
        endpoint = minted.stdout.strip().splitlines()[-1]
        assert endpoint.startswith(stack.api_url() + "/api/codec/")
        ui, namespace = stack.state()["temporal"]["ui"], stack.state()["temporal"]["namespace"]
        page = f"{ui}/namespaces/{namespace}/workflows/{workflow_id}"

        def history() -> str:
            browser.get(page)
            wait_until(lambda: browser.find_elements(By.XPATH, "//*[contains(text(),'Event History')]"), 30)
            tab = browser.find_elements(By.XPATH, "//*[contains(text(),'Event History')]")[0]
            browser.execute_script("arguments[0].click();", tab)
            wait_until(lambda: browser.find_elements(By.XPATH, "//*[contains(text(),'Update Accepted')]"), 30)
            return _update_rows_expanded(browser)

        sealed = history()
        assert NOTE not in sealed and case_no not in sealed  # without the endpoint: ciphertext only
        browser.execute_script(
            "localStorage.setItem('endpoint', JSON.stringify(arguments[0]));"
            "localStorage.setItem('overrideRemoteCodecConfiguration', 'true');",
            endpoint,
        )
        opened_up = history()
        assert NOTE in opened_up and case_no in opened_up
        audit = stack.baoxue("audit", "--officer", COUNTY, "--json", actor=COUNTY).json()
        assert any(row["action"] == "codec_decode" for row in audit), audit
