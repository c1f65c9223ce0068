"""The staff's report of stale and uncertain facts (GET /api/v1/kb/findings, the /staff/ 知識の鮮度 tab)."""

from __future__ import annotations

import datetime as dt

import pytest

from contact.config import Settings
from knowledge.audit import KINDS, audit
from knowledge.loader import load


@pytest.fixture
async def staff(aiohttp_client, settings: Settings, add_user):  # type: ignore[no-untyped-def]
    from contact.app import create_app

    client = await aiohttp_client(create_app(settings))
    client.auth = {"Authorization": f"Bearer {add_user('hiroko', 'staff')}"}
    return client


async def test_findings_need_the_staff_role(staff, add_user) -> None:  # type: ignore[no-untyped-def]
    """Anonymous callers get 401 and operators 403: the report is for staff and admins."""
    assert (await staff.get("/api/v1/kb/findings")).status == 401
    operator = {"Authorization": f"Bearer {add_user('sato', 'operator')}"}
    assert (await staff.get("/api/v1/kb/findings", headers=operator)).status == 403


async def test_findings_are_what_kb_check_lists(staff, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """Counts and items agree with knowledge.audit on the served base, with each entry's dates and source."""
    resp = await staff.get("/api/v1/kb/findings", headers=staff.auth)
    assert resp.status == 200
    body = await resp.json()
    today = settings.clock().now().date()
    report = audit(load(settings.kb), today)
    assert body["today"] == today.isoformat() and body["entries"] == report.entries
    assert body["counts"] == {k: report.counts_by_kind.get(k, 0) for k in KINDS}
    assert len(body["items"]) == len(report.findings)
    item = body["items"][0]
    assert set(item) >= {"kind", "entry_id", "title", "certainty", "source_url", "source_date", "reviewed", "detail"}


async def test_findings_filter_by_kind_and_age(staff, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """``kind`` keeps one kind; a shorter ``max_age_days`` lists more old sources; bad values are 400."""
    only = await (await staff.get("/api/v1/kb/findings?kind=secondary", headers=staff.auth)).json()
    assert only["items"] and {i["kind"] for i in only["items"]} == {"secondary"}
    today = settings.clock().now().date()
    kb = load(settings.kb)
    dated = [e for e in kb.entries() if e.source_date is not None]
    if dated:
        youngest = min((today - e.source_date).days for e in dated)  # type: ignore[operator]
        short = await (await staff.get(f"/api/v1/kb/findings?kind=old-source&max_age_days={max(1, youngest)}",
                                       headers=staff.auth)).json()
        long = await (await staff.get("/api/v1/kb/findings?kind=old-source&max_age_days=36500",
                                      headers=staff.auth)).json()
        assert len(short["items"]) > len(long["items"]) == 0
    for query in ("kind=stale", "max_age_days=0", "max_age_days=x", "colour=red"):
        bad = await staff.get(f"/api/v1/kb/findings?{query}", headers=staff.auth)
        assert bad.status == 400, query
        assert (await bad.json())["error"]["code"] in ("invalid_parameter", "unknown_parameter")


def test_audit_dates_are_relative_to_the_day_asked() -> None:
    """The same base has more old sources ten years later: the report is as of its day, not the day it was written."""
    from tests.conftest import MINI_KB

    kb = load(MINI_KB)
    now = audit(kb, dt.date(2026, 12, 1), max_age_days=365)
    later = audit(kb, dt.date(2036, 12, 1), max_age_days=365)
    assert later.counts_by_kind.get("old-source", 0) >= now.counts_by_kind.get("old-source", 0)
