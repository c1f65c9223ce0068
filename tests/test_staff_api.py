"""The staff API over a seeded log (contact.web.staff): roles, filters, paging, CSV, statistics, the monthly
report, phrasing review, the audit trail; and learning phrasings from a citizen's pick in /api/v1/ask."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from contact.config import Settings
from contact.ops import seed

SEED_END = dt.date(2026, 11, 19)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, seed.Manifest]:
    path = tmp_path_factory.mktemp("seeded") / "log.sqlite3"
    return path, seed.write(path, start=dt.date(2026, 8, 3), end=SEED_END)


@pytest.fixture
async def staff(aiohttp_client, settings: Settings, seeded, add_user):  # type: ignore[no-untyped-def]
    """A client on a copy of the seeded log, and a staff token (``Authorization`` headers)."""
    from contact.app import create_app

    shutil.copy(seeded[0], settings.db)
    token = add_user("hiroko", "staff")
    client = await aiohttp_client(create_app(settings))
    client.auth = {"Authorization": f"Bearer {token}"}
    return client


def _audit(settings: Settings) -> list[dict[str, Any]]:
    conn = sqlite3.connect(settings.db)
    conn.row_factory = sqlite3.Row
    return [dict(r) for r in conn.execute("SELECT * FROM audit WHERE action LIKE 'inquiries.%' OR action LIKE "
                                          "'phrasings.%' ORDER BY id")]


STAFF_GETS = ["/api/v1/inquiries", "/api/v1/inquiries.csv", "/api/v1/stats/summary", "/api/v1/stats/volume",
              "/api/v1/stats/breakdown", "/api/v1/stats/gaps", "/api/v1/stats/rising", "/api/v1/stats/words",
              "/api/v1/stats/cooccurrence", "/api/v1/stats/kwic?word=住民票", "/api/v1/stats/crosstab",
              "/api/v1/reports/monthly?month=2026-10", "/api/v1/phrasings"]


async def test_staff_endpoints_need_the_staff_role(staff, add_user) -> None:  # type: ignore[no-untyped-def]
    operator = {"Authorization": f"Bearer {add_user('sato', 'operator')}"}
    admin = {"Authorization": f"Bearer {add_user('root', 'admin')}"}
    for path in STAFF_GETS:
        assert (await staff.get(path)).status == 401, path
        forbidden = await staff.get(path, headers=operator)
        assert forbidden.status == 403 and (await forbidden.json())["error"]["code"] == "forbidden", path
    assert (await staff.get("/api/v1/stats/summary", headers=admin)).status == 200
    assert (await staff.post("/api/v1/phrasings/1", json={"status": "accepted"}, headers=operator)).status == 403


async def test_every_staff_endpoint_answers_with_voice_type_counts(staff) -> None:  # type: ignore[no-untyped-def]
    for path in STAFF_GETS:
        resp = await staff.get(path, headers=staff.auth)
        assert resp.status == 200, (path, await resp.text())
        assert resp.headers["Cache-Control"] == "no-store"
        if resp.content_type == "application/json" and "phrasings" not in path:
            body = await resp.json()
            assert set(body["voice_types"]) == {"問い合わせ", "意見・要望", "苦情", "提案", "感謝"}, path


async def test_the_list_filters_and_pages(staff, seeded) -> None:  # type: ignore[no-untyped-def]
    manifest = seeded[1]
    resp = await staff.get("/api/v1/inquiries", params={"ward": "中原区", "limit": "7"}, headers=staff.auth)
    body = await resp.json()
    assert body["total"] == manifest.by_ward["中原区"] and len(body["items"]) == 7 and body["next_offset"] == 7
    assert {i["ward"] for i in body["items"]} == {"中原区"}
    page2 = await (await staff.get("/api/v1/inquiries", params={"ward": "中原区", "limit": "7", "offset": "7"},
                                   headers=staff.auth)).json()
    assert not {i["id"] for i in body["items"]} & {i["id"] for i in page2["items"]}
    october = await (await staff.get("/api/v1/inquiries", params={"from": "2026-10-01", "to": "2026-10-31",
                                                                  "order": "oldest", "limit": "1"},
                                     headers=staff.auth)).json()
    assert october["total"] == manifest.by_month["2026-10"]
    assert october["items"][0]["created_at"].startswith("2026-10-01")
    search = await (await staff.get("/api/v1/inquiries", params={"q": "給付金", "channel": "web", "kind": "fallback"},
                                    headers=staff.auth)).json()
    assert search["total"] == manifest.gaps["給付金"] and all("給付金" in i["text"] for i in search["items"])
    rated = await (await staff.get("/api/v1/inquiries", params={"helpful": "false", "limit": "500"},
                                   headers=staff.auth)).json()
    assert rated["total"] == manifest.rated - manifest.helpful and {i["helpful"] for i in rated["items"]} == {False}
    complaints = await (await staff.get("/api/v1/inquiries", params={"voice_type": "苦情"}, headers=staff.auth)).json()
    assert complaints["total"] == manifest.by_voice_type["苦情"] == complaints["voice_types"]["苦情"]


@pytest.mark.parametrize(("query", "code"), [
    ({"from": "2026-02-30"}, "invalid_filter"),
    ({"from": "2026-10-02", "to": "2026-10-01"}, "invalid_range"),
    ({"ward": "東京都"}, "invalid_filter"),
    ({"kind": "maybe"}, "invalid_filter"),
    ({"helpful": "yes"}, "invalid_filter"),
    ({"limit": "0"}, "invalid_parameter"),
    ({"limit": "x"}, "invalid_parameter"),
    ({"offset": "-1"}, "invalid_parameter"),
    ({"order": "random"}, "invalid_parameter"),
    ({"sort": "id"}, "unknown_parameter"),
])
async def test_bad_filters_are_400_with_a_code(staff, query, code) -> None:  # type: ignore[no-untyped-def]
    resp = await staff.get("/api/v1/inquiries", params=query, headers=staff.auth)
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == code
    csv = await staff.get("/api/v1/inquiries.csv", params=query, headers=staff.auth)
    assert csv.status == 400


async def test_bad_statistics_parameters_are_400(staff) -> None:  # type: ignore[no-untyped-def]
    for path, query in (("/api/v1/stats/volume", {"period": "hour"}), ("/api/v1/stats/volume", {"split": "x"}),
                        ("/api/v1/stats/breakdown", {"by": "colour"}), ("/api/v1/stats/kwic", {}),
                        ("/api/v1/stats/gaps", {"max_confidence": "2"}), ("/api/v1/stats/rising", {"end": "soon"}),
                        ("/api/v1/stats/crosstab", {"rows": "ward"}), ("/api/v1/reports/monthly", {"month": "10"}),
                        ("/api/v1/reports/monthly", {"month": "2027-01"}),
                        ("/api/v1/reports/monthly", {"month": "2026-10", "from": "2026-10-01"}),
                        ("/api/v1/phrasings", {"status": "maybe"})):
        resp = await staff.get(path, params=query, headers=staff.auth)
        assert resp.status == 400, (path, query)
        expected = ("month_not_begun",) if query.get("month") == "2027-01" else \
            ("invalid_parameter", "invalid_filter", "unknown_parameter")  # a future month: x-semantic-errors
        assert (await resp.json())["error"]["code"] in expected, (path, query)


async def test_csv_export_opens_in_excel(staff, seeded) -> None:  # type: ignore[no-untyped-def]
    resp = await staff.get("/api/v1/inquiries.csv", params={"from": "2026-10-01", "to": "2026-10-31"},
                           headers=staff.auth)
    assert resp.status == 200 and resp.content_type == "text/csv"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="inquiries-20261001-20261031.csv"'
    raw = await resp.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw[3:].decode("utf-8").split("\r\n")
    assert lines[0].startswith("ID,受付日時,チャネル,区,分類,問い合わせ内容") and lines[-1] == ""
    assert len(lines) - 2 == seeded[1].by_month["2026-10"]


async def test_statistics_reproduce_the_seeded_figures(staff, seeded) -> None:  # type: ignore[no-untyped-def]
    manifest = seeded[1]
    summary = await (await staff.get("/api/v1/stats/summary", headers=staff.auth)).json()
    assert summary["total"] == manifest.total and summary["channels"] == dict(manifest.by_channel)
    assert summary["satisfaction"] == round(manifest.helpful / manifest.rated, 4)
    assert summary["top_entries"][0]["entry_id"] == manifest.by_entry.most_common(1)[0][0]
    volume = await (await staff.get("/api/v1/stats/volume", params={"period": "month"}, headers=staff.auth)).json()
    assert {p["key"]: p["count"] for p in volume["series"]} == dict(manifest.by_month)
    wards = await (await staff.get("/api/v1/stats/breakdown", params={"by": "ward"}, headers=staff.auth)).json()
    assert {i["key"] or "": i["count"] for i in wards["items"]} == dict(manifest.by_ward)
    gaps = await (await staff.get("/api/v1/stats/gaps", headers=staff.auth)).json()
    first = gaps["clusters"][0]
    assert first["words"][0] == "給付金" and first["size"] == manifest.gaps["給付金"]
    assert "nearest" in first  # from the app's matcher (the small test base here)
    photo = next(c for c in gaps["clusters"] if "写真" in c["words"])
    assert photo["size"] == manifest.low_confidence
    rising = await (await staff.get("/api/v1/stats/rising", params={"end": SEED_END.isoformat()},
                                    headers=staff.auth)).json()
    assert rising["words"][0]["word"] == "給付金" and rising["words"][0]["weekly"][-3:] == list(seed.BENEFIT_WEEKS)
    kwic = await (await staff.get("/api/v1/stats/kwic", params={"word": "引越し"}, headers=staff.auth)).json()
    assert kwic["word"] == "引っ越し"  # the normalised form, as words are counted
    kwic = await (await staff.get("/api/v1/stats/kwic", params={"word": "給付金", "limit": "3"},
                                  headers=staff.auth)).json()
    assert len(kwic["lines"]) == 3 and kwic["lines"][0]["keyword"] == "給付金"
    table = await (await staff.get("/api/v1/stats/crosstab", params={"rows": "category", "columns": "channel"},
                                   headers=staff.auth)).json()
    assert sum(table["column_totals"]) == manifest.total


async def test_reads_are_audited_with_their_filters(staff, settings) -> None:  # type: ignore[no-untyped-def]
    await staff.get("/api/v1/inquiries", params={"ward": "幸区", "q": "住民票"}, headers=staff.auth)
    await staff.get("/api/v1/inquiries.csv", params={"channel": "phone"}, headers=staff.auth)
    await staff.get("/api/v1/stats/gaps", headers=staff.auth)
    await staff.get("/api/v1/inquiries", params={"ward": "どこか"}, headers=staff.auth)  # refused: no read, no row
    rows = _audit(settings)
    assert [(r["action"], r["target"], r["actor"], r["role"]) for r in rows] == [
        ("inquiries.read", "list", "hiroko", "staff"), ("inquiries.read", "csv", "hiroko", "staff"),
        ("inquiries.read", "gaps", "hiroko", "staff")]
    assert json.loads(rows[0]["detail"])["filters"] == {"wards": ["幸区"], "q": ["住民票"]}
    assert json.loads(rows[1]["detail"])["filters"] == {"channels": ["phone"]}


async def test_the_monthly_report_is_one_self_contained_page(staff, seeded, settings) -> None:  # type: ignore[no-untyped-def]
    resp = await staff.get("/api/v1/reports/monthly", params={"month": "2026-10"}, headers=staff.auth)
    assert resp.status == 200 and resp.content_type == "text/html"
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    html = await resp.text()
    assert "市民の声 月次レポート 2026年10月" in html
    assert f"{seeded[1].by_month['2026-10']:,}件" in html and "<script" not in html
    download = await staff.get("/api/v1/reports/monthly", params={"month": "2026-10", "download": "1",
                                                                  "ward": "中原区"}, headers=staff.auth)
    assert download.headers["Content-Disposition"] == 'attachment; filename="report-2026-10.html"'
    assert "wards=[&#x27;中原区&#x27;]" in await download.text()
    assert _audit(settings)[-1]["target"] == "report"


async def test_phrasing_proposals_are_reviewed_and_audited(staff, settings) -> None:  # type: ignore[no-untyped-def]
    listed = await (await staff.get("/api/v1/phrasings", headers=staff.auth)).json()
    assert listed["total"] >= 1 and listed["counts"]["pending"] == listed["total"]
    item = listed["items"][0]
    assert item["status"] == "pending" and item["origin"] == "citizen"
    resp = await staff.post(f"/api/v1/phrasings/{item['id']}", json={"status": "accepted"}, headers=staff.auth)
    assert resp.status == 200
    body = await resp.json()
    assert body["status"] == "accepted" and body["decided_by"] == "hiroko"
    again = await (await staff.get("/api/v1/phrasings", params={"status": "accepted"}, headers=staff.auth)).json()
    assert [i["id"] for i in again["items"]] == [item["id"]]
    assert (await staff.post("/api/v1/phrasings/99999", json={"status": "accepted"}, headers=staff.auth)).status == 404
    assert (await staff.post("/api/v1/phrasings/abc", json={"status": "accepted"}, headers=staff.auth)).status == 404
    bad = await staff.post(f"/api/v1/phrasings/{item['id']}", json={"status": "great"}, headers=staff.auth)
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "invalid_field"
    decided = [r for r in _audit(settings) if r["action"] == "phrasings.decide"]
    assert len(decided) == 1 and decided[0]["target"] == str(item["id"])


async def test_session_cookie_posts_need_the_csrf_token(staff, add_user) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import PASSWORD

    add_user("keiko", "staff")
    login = await staff.post("/api/v1/login", json={"name": "keiko", "password": PASSWORD})
    csrf = (await login.json())["csrf"]
    item = (await (await staff.get("/api/v1/phrasings")).json())["items"][0]
    assert (await staff.post(f"/api/v1/phrasings/{item['id']}", json={"status": "rejected"})).status == 403
    ok = await staff.post(f"/api/v1/phrasings/{item['id']}", json={"status": "rejected"},
                          headers={"X-CSRF-Token": csrf})
    assert ok.status == 200


async def test_the_staff_page_is_served(staff) -> None:  # type: ignore[no-untyped-def]
    page = await staff.get("/staff/")
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    assert 'lang="ja"' in html and "<script src=\"/static/staff.js\"" in html and "style=" not in html
    assert (await staff.get("/static/staff.js")).status == 200
    redirect = await staff.get("/staff", allow_redirects=False)
    assert redirect.status == 302 and redirect.headers["Location"] == "/staff/"


# -- learning from a citizen's pick ------------------------------------------------------------------


async def test_a_pick_after_a_weak_match_proposes_the_question(client, settings) -> None:  # type: ignore[no-untyped-def]
    """The widget sends pick_of with the candidate a citizen chose; the unclear question becomes a proposal."""
    first = await (await client.post("/api/v1/ask", json={"text": "犬と住民票"})).json()
    assert first["kind"] in ("fallback", "clarify") and first["candidates"]
    picked = next(c for c in first["candidates"] if c["entry_id"] == "juminhyo")
    ask = {"text": picked["title"], "session_id": first["session_id"], "pick_of": first["inquiry_id"]}
    second = await (await client.post("/api/v1/ask", json=ask)).json()
    assert second["kind"] == "answer" and second["answer"]["entry_id"] == "juminhyo"
    conn = sqlite3.connect(settings.db)
    rows = conn.execute("SELECT entry_id, text, origin, inquiry_id, status FROM phrasings").fetchall()
    assert rows == [("juminhyo", "犬と住民票", "citizen", first["inquiry_id"], "pending")]
    # a pick naming another inquiry, or a plain follow-up, proposes nothing
    await client.post("/api/v1/ask", json={"text": "犬と住民票", "session_id": first["session_id"]})
    await client.post("/api/v1/ask", json={"text": picked["title"], "session_id": first["session_id"],
                                           "pick_of": "0123456789abcdef"})
    assert conn.execute("SELECT COUNT(*) FROM phrasings").fetchone()[0] == 1
    bad = await client.post("/api/v1/ask", json={"text": "x", "pick_of": "not an id!"})
    assert bad.status == 400


async def test_a_pick_sent_over_the_chat_websocket_is_learned_too(client, settings) -> None:  # type: ignore[no-untyped-def]
    async with client.ws_connect("/api/v1/chat") as ws:
        await ws.send_json({"type": "ask", "text": "犬と住民票", "id": "m1"})
        first = await ws.receive_json(timeout=10)
        picked = next(c for c in first["candidates"] if c["entry_id"] == "juminhyo")
        await ws.send_json({"type": "ask", "text": picked["title"], "id": "m2", "pick_of": first["inquiry_id"]})
        second = await ws.receive_json(timeout=10)
    assert second["answer"]["entry_id"] == "juminhyo"
    rows = sqlite3.connect(settings.db).execute("SELECT entry_id, text, origin FROM phrasings").fetchall()
    assert rows == [("juminhyo", "犬と住民票", "citizen")]
