"""GET /api/v1/openings and the iCalendar export, on the shipped knowledge base."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from contact.app import create_app
from contact.config import Settings
from knowledge.loader import SHIPPED_DIR
from tests.conftest import NOW


@pytest.fixture
async def shipped(aiohttp_client, tmp_path):  # type: ignore[no-untyped-def]
    settings = Settings(db=str(tmp_path / "c.sqlite3"), kb=str(SHIPPED_DIR), now=NOW)
    return await aiohttp_client(create_app(settings))


async def test_december_2026_openings_of_a_ward_office(shipped) -> None:
    """December 2026: weekdays, the 2nd/4th Saturdays (12/12, 12/26) mornings, nothing 12/29-12/31."""
    resp = await shipped.get("/api/v1/openings", params={"office": "nakahara-kuyakusho", "from": "2026-12-01",
                                                         "to": "2026-12-31"})
    assert resp.status == 200
    body = await resp.json()
    assert body["office"] == {"id": "nakahara-kuyakusho", "name": "中原区役所"}
    by_date = {o["date"]: o for o in body["openings"]}
    assert by_date["2026-12-12"]["kind"] == "saturday"
    assert (by_date["2026-12-12"]["open"], by_date["2026-12-12"]["close"]) == ("08:30", "12:30")
    assert set(by_date["2026-12-12"]["windows"]) == {"区民課", "保険年金課"}
    assert "2026-12-26" in by_date and "2026-12-05" not in by_date and "2026-12-19" not in by_date
    assert by_date["2026-12-28"]["kind"] == "weekday"
    assert not {"2026-12-29", "2026-12-30", "2026-12-31"} & set(by_date)
    assert "2026-12-06" not in by_date  # a Sunday


@pytest.mark.parametrize(
    ("params", "code"),
    [
        pytest.param({}, "missing_field", id="no-office"),
        pytest.param({"office": "nowhere"}, "unknown_office", id="unknown-office"),
        pytest.param({"office": "nakahara-kuyakusho", "from": "2026-13-01"}, "invalid_field", id="bad-date"),
        pytest.param({"office": "nakahara-kuyakusho", "from": "2026-12-10", "to": "2026-12-01"}, "invalid_range",
                     id="to-before-from"),
        pytest.param({"office": "nakahara-kuyakusho", "from": "2026-01-01", "to": "2027-06-01"}, "invalid_range",
                     id="over-a-year"),
        pytest.param({"office": "nakahara-kuyakusho", "window": "宇宙課"}, "unknown_window", id="unknown-window"),
    ],
)
async def test_invalid_queries_are_clear_400s(shipped, params, code) -> None:
    """Invalid dates, ranges and offices answer 400 with a code saying what is wrong."""
    resp = await shipped.get("/api/v1/openings", params=params)
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == code


async def test_ics_export_parses_and_has_the_saturday_openings(shipped) -> None:
    """The iCalendar export is valid RFC 5545 and holds the Saturday openings with their hours."""
    resp = await shipped.get("/api/v1/openings.ics", params={"office": "nakahara-kuyakusho", "from": "2026-12-01",
                                                             "to": "2026-12-31"})
    assert resp.status == 200
    assert resp.content_type == "text/calendar"
    cal = Calendar.from_ical(await resp.read())
    events = [e for e in cal.walk("VEVENT")]
    starts = {e.decoded("dtstart").isoformat() for e in events}
    assert "2026-12-12T08:30:00+09:00" in starts
    assert len(events) == 22  # 20 weekdays before the year-end closure + 2 Saturday mornings


async def test_ask_about_this_saturday_uses_the_calendar(shipped) -> None:
    """"今週の土曜って区役所やってる？" on Friday 2026-11-20: the 21st is a 3rd Saturday, closed; next is 11/24."""
    body = await (await shipped.post("/api/v1/ask", json={"text": "今週の土曜って区役所やってる？"})).json()
    assert body["kind"] == "answer"
    assert "11月21日(土)" in body["answer"]["text"] and "閉庁" in body["answer"]["text"]
    assert "11月24日(火)" in body["answer"]["text"]


async def test_generic_saturday_question_gets_the_rule_and_next_opening(shipped) -> None:
    """"土曜日に転入届って出せますか" is about Saturdays in general: yes, and the next opening is 11/28 (from the
    procedure, or from the FAQ on exactly this question, with the calendar's next opening added)."""
    body = await (await shipped.post("/api/v1/ask", json={"text": "土曜日に転入届って出せますか"})).json()
    assert body["answer"]["entry_id"] in ("tennyu", "faq-moving-saturday")
    assert "第2・第4土曜日" in body["answer"]["text"]
    assert "11月28日(土) 8:30〜12:30" in body["answer"]["text"]
    assert "11月21日" not in body["answer"]["text"]


@pytest.mark.parametrize(
    ("text", "entry_id", "says"),
    [
        pytest.param("住民票は溝口の行政サービスコーナーで取れる？", "juminhyo",
                     ["はい", "「溝口」", "確認できていません"], id="unknown-corner-named"),
        pytest.param("登戸の行政サービスコーナーで住民票とれる？", "juminhyo", ["はい", "登戸行政サービスコーナー"],
                     id="known-corner"),
        pytest.param("印鑑登録は行政サービスコーナーでできる？", "inkan-toroku", ["いいえ", "区民課"],
                     id="not-at-corner"),
        pytest.param("出張所で転入届出せる？", "tennyu", ["いいえ", "区民課"], id="not-at-branch"),
        pytest.param("住民票ってコンビニでもとれる？", "juminhyo", ["はい", "マイナンバーカード"],
                     id="convenience-store"),
    ],
)
async def test_can_i_do_it_there(shipped, text: str, entry_id: str, says: list[str]) -> None:
    """"Can I do P at X?" is answered yes/no from the offices' and procedures' data, with where else."""
    body = await (await shipped.post("/api/v1/ask", json={"text": text})).json()
    assert body["kind"] == "answer"
    assert body["answer"]["entry_id"] == entry_id
    for phrase in says:
        assert phrase in body["answer"]["text"], body["answer"]["text"]
