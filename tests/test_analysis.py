"""広聴 analysis over a seeded synthetic log (contact.analysis): counts, rates, knowledge gaps, rising topics,
words, the monthly report; the seed generator itself; old schemas upgraded in place."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contact.analysis import gaps, inquiries, report, rising, stats, svg, words
from contact.analysis.filters import FilterError, Filters, parse_filters
from contact.analysis.voice import VOICE_TYPES, classify
from contact.ops import seed
from contact.ops.seed import Manifest
from contact.store.inquiry_log import MIGRATIONS, InquiryLog, connect, migrate
from tests.conftest import MINI_KB

TODAY = dt.date(2026, 11, 20)
LAST_DAY = dt.date(2026, 11, 19)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    """One seeded log per module (about 6,000 inquiries, June to 19 November 2026)."""
    path = tmp_path_factory.mktemp("seeded") / "log.sqlite3"
    return path, seed.write(path)


@pytest.fixture
def db(seeded: tuple[Path, Manifest]) -> Iterator[Any]:
    database = connect(str(seeded[0]))
    yield database
    database.conn.close()


@pytest.fixture(scope="module")
def manifest(seeded: tuple[Path, Manifest]) -> Manifest:
    return seeded[1]


@pytest.fixture(scope="module")
def extractor() -> words.WordExtractor:
    return words.WordExtractor()


@pytest.fixture(scope="module")
def docs(seeded: tuple[Path, Manifest], extractor: words.WordExtractor) -> list[words.Doc]:
    database = connect(str(seeded[0]))
    try:
        return words.load_docs(database, Filters(), extractor)
    finally:
        database.conn.close()


# -- the seed generator ----------------------------------------------------------------------------


def test_the_seeded_log_is_deterministic_and_large() -> None:
    """The same seed gives the same inquiries; another seed gives others; thousands over months."""
    a, fa, pa, ma = seed.generate(3)
    b, fb, pb, mb = seed.generate(3)
    c, *_ = seed.generate(4)
    assert a == b and fa == fb and pa == pb and ma.as_dict() == mb.as_dict()
    assert [r["text"] for r in a[:50]] != [r["text"] for r in c[:50]]
    assert len(a) > 5000 and len(ma.by_month) == 6


def test_every_seed_template_gets_its_intended_voice_type() -> None:
    """So that the manifest's voice-type counts are what the rules give (the classifier runs on insert)."""
    for voice_type, texts in seed.VOICES.items():
        assert [classify(t) for t in texts] == [voice_type] * len(texts)
    everyday = [q for t in seed.TOPICS for q in t.questions]
    everyday += [q for g in (*seed.GAPS, seed.BENEFIT) for q in g.questions]
    assert {classify(q.replace("{ward}", "中原区")) for q in everyday} == {"問い合わせ"}


def test_stored_counts_match_the_manifest(db: Any, manifest: Manifest) -> None:
    """Totals by month, channel, ward, kind and voice type, read back through the analysis queries."""
    summary = stats.summary(db, Filters())
    assert summary["total"] == manifest.total
    assert summary["channels"] == dict(manifest.by_channel)
    assert summary["kinds"] == dict(manifest.by_kind)
    assert summary["voice_types"] == {t: manifest.by_voice_type.get(t, 0) for t in VOICE_TYPES}
    monthly = stats.volume(db, Filters(), "month")
    assert {p["key"]: p["count"] for p in monthly["series"]} == dict(manifest.by_month)
    wards = {i["key"] or "": i["count"] for i in stats.breakdown(db, Filters(), "ward")}
    assert wards == dict(manifest.by_ward)
    assert summary["rated"] == manifest.rated and summary["helpful"] == manifest.helpful
    assert summary["satisfaction"] == round(manifest.helpful / manifest.rated, 4)


def test_rates_count_automated_inquiries_only(db: Any, manifest: Manifest) -> None:
    """Answer/fallback/handoff rates are over the assistant's own inquiries: no operator records, no small talk."""
    r = stats.rates(db, Filters())
    automated = sum(n for k, n in manifest.by_kind.items() if k not in ("operator", "smalltalk"))
    assert r["automated"] == automated
    assert r["answer_rate"] == round(manifest.by_kind["answer"] / automated, 4)
    assert r["fallback_rate"] == round(manifest.by_kind["fallback"] / automated, 4)
    assert r["handoff_rate"] == round(manifest.by_kind["handoff"] / automated, 4)


def test_volume_fills_empty_periods_and_weeks_start_on_monday(db: Any, manifest: Manifest) -> None:
    f = Filters(date_from=dt.date(2026, 10, 1), date_to=dt.date(2026, 10, 31))
    daily = stats.volume(db, f, "day")["series"]
    assert len(daily) == 31 and sum(p["count"] for p in daily) == manifest.by_month["2026-10"]
    assert [p["count"] for p in daily] == [manifest.by_day.get(f"2026-10-{d:02d}", 0) for d in range(1, 32)]
    weekly = stats.volume(db, f, "week")["series"]
    assert weekly[0]["key"] == "2026-09-28"  # the Monday of the week holding 1 October
    assert all(dt.date.fromisoformat(p["key"]).weekday() == 0 for p in weekly)
    split = stats.volume(db, f, "month", split="channel")
    assert sum(v[0] for v in split["by"].values()) == manifest.by_month["2026-10"]


def test_filters_select_what_they_say(db: Any, manifest: Manifest) -> None:
    assert inquiries.count(db, parse_filters([("ward", "中原区")])) == manifest.by_ward["中原区"]
    assert inquiries.count(db, parse_filters([("ward", "none")])) == manifest.by_ward[""]
    assert inquiries.count(db, parse_filters([("channel", "phone,mail")])) == \
        manifest.by_channel["phone"] + manifest.by_channel["mail"]
    assert inquiries.count(db, parse_filters([("helpful", "rated")])) == manifest.rated
    assert inquiries.count(db, parse_filters([("helpful", "true")])) == manifest.helpful
    assert inquiries.count(db, parse_filters([("q", "給付金")])) >= 100
    narrower = inquiries.count(db, parse_filters([("q", "給付金 振込日")]))
    assert 0 < narrower < inquiries.count(db, parse_filters([("q", "給付金")]))
    assert inquiries.count(db, parse_filters([("q", "100%_")])) == 0  # LIKE wildcards are matched literally
    october = parse_filters([("from", "2026-10-01"), ("to", "2026-10-31")])
    assert inquiries.count(db, october) == manifest.by_month["2026-10"]


@pytest.mark.parametrize(("pairs", "code"), [
    ([("from", "2026-13-01")], "invalid_filter"),
    ([("from", "2026-10-02"), ("to", "2026-10-01")], "invalid_range"),
    ([("ward", "横浜区")], "invalid_filter"),
    ([("channel", "pigeon")], "invalid_filter"),
    ([("helpful", "maybe")], "invalid_filter"),
    ([("voice_type", "怒り")], "invalid_filter"),
    ([("q", "x" * 201)], "invalid_filter"),
    ([("wards", "中原区")], "unknown_parameter"),
], ids=["bad-date", "from-after-to", "ward", "channel", "helpful", "voice-type", "long-q", "unknown"])
def test_bad_filters_are_refused_with_a_code(pairs: list[tuple[str, str]], code: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filters(pairs)
    assert caught.value.code == code


def test_the_list_pages_with_a_total_and_voice_types(db: Any, manifest: Manifest) -> None:
    first = inquiries.list_inquiries(db, Filters(), limit=100)
    second = inquiries.list_inquiries(db, Filters(), limit=100, offset=100)
    assert first["total"] == manifest.total and first["next_offset"] == 100
    assert len(first["items"]) == 100 and not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    assert first["items"][0]["created_at"] >= first["items"][-1]["created_at"] >= second["items"][0]["created_at"]
    assert sum(first["voice_types"].values()) == manifest.total
    assert isinstance(first["items"][0]["candidates"], list)


def test_csv_opens_in_excel_and_never_runs_a_formula() -> None:
    rows = [{"id": "a", "created_at": "2026-11-01T10:00:00.000+09:00", "channel": "web", "text": "=1+2",
             "helpful": True, "note": "@SUM(A1)", "candidates": ["juminhyo", "tennyu"]},
            {"id": "b", "text": "住民票、どこ？\n改行あり", "confidence": 0.5, "entry_title": "-10", "comment": "+x"}]
    data = inquiries.to_csv(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert text.count("\r\n") == 3 and text.split("\r\n")[0].startswith("ID,受付日時,チャネル")
    assert "'=1+2" in text and "'@SUM(A1)" in text and "'-10" in text and "'+x" in text
    assert '"住民票、どこ？\n改行あり"' in text and "juminhyo tennyu" in text and ",はい," in text


# -- knowledge gaps ------------------------------------------------------------------------------


def test_planted_gaps_come_out_as_clusters_largest_first(docs: list[words.Doc], manifest: Manifest) -> None:
    """Each planted topic is one cluster of exactly its size; the low-confidence one is there too."""
    found = [d for d in docs if gaps.is_gap(d)]
    result = gaps.knowledge_gaps(found, background=docs)
    clusters = result["clusters"]
    sizes = [c["size"] for c in clusters]
    assert sizes == sorted(sizes, reverse=True)
    by_word = {}
    for key in (*manifest.gaps, "写真"):
        by_word[key] = next(c for c in clusters if key in c["words"])
    for key, size in manifest.gaps.items():
        assert by_word[key]["size"] == size, key
        assert by_word[key]["reasons"] == {"fallback": size}
    assert by_word["写真"]["size"] == manifest.low_confidence
    assert by_word["写真"]["reasons"] == {"low_confidence": manifest.low_confidence}
    assert clusters[0]["words"][0] == "給付金"  # the biggest: the new benefit
    assert all(len(c["examples"]) <= 5 and c["examples"] for c in clusters)


def test_clustering_is_deterministic(docs: list[words.Doc]) -> None:
    found = [d for d in docs if gaps.is_gap(d)]
    first = gaps.knowledge_gaps(found, background=docs)
    again = gaps.knowledge_gaps(list(found), background=list(docs))
    assert first == again


def test_the_nearest_entry_comes_from_the_matcher() -> None:
    from intents.engine import Engine
    from knowledge.loader import load

    nearest = gaps.engine_nearest(Engine(load(MINI_KB)))
    clusters = gaps.add_nearest([{"examples": ["住民票の写しを郵便で取り寄せたい"]}, {"examples": ["宇宙旅行の予約"]}],
                                nearest)
    assert clusters[0]["nearest"]["entry_id"] == "juminhyo"
    assert clusters[1]["nearest"] is None  # nothing near: an editor writes a new FAQ


# -- rising topics and words -----------------------------------------------------------------------


def test_the_planted_benefit_is_the_top_rising_word_and_cluster(docs: list[words.Doc]) -> None:
    result = rising.rising(docs, LAST_DAY)
    top = result["words"][0]
    assert top["word"] == "給付金"
    assert top["weekly"] == [0, 0, *seed.BENEFIT_WEEKS]
    assert top["count"] == seed.BENEFIT_WEEKS[-1] and top["examples"]
    assert result["clusters"][0]["words"][0] == "給付金" and result["clusters"][0]["count"] == seed.BENEFIT_WEEKS[-1]
    five_weeks_earlier = rising.rising(docs, LAST_DAY - dt.timedelta(days=35))
    assert "給付金" not in [w["word"] for w in five_weeks_earlier["words"]]


def test_word_frequencies_cooccurrence_kwic_and_cross_tables(docs: list[words.Doc],
                                                            extractor: words.WordExtractor) -> None:
    freq = words.frequencies(docs, "month", limit=20)
    assert freq["periods"] == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    top = {w["word"]: w for w in freq["words"]}
    assert "住民票" in top and sum(top["住民票"]["counts"]) == top["住民票"]["total"]
    pool = next(w for w in words.frequencies(docs, "month", limit=300)["words"] if w["word"] == "プール")
    assert pool["counts"][1] > pool["counts"][4]  # asked about in summer (July) more than in October

    recent = [d for d in docs if d.day >= dt.date(2026, 10, 30)]
    pairs = words.cooccurrence(recent, top_words=60, min_count=3, limit=500)
    benefit = next(p for p in pairs if {p["a"], p["b"]} == {"物価", "高騰"})  # always together
    assert benefit["jaccard"] == 1.0 and pairs[0]["jaccard"] == 1.0
    assert all(0 < p["jaccard"] <= 1 for p in pairs)

    lines = words.kwic(docs, "給付金", extractor, width=8, limit=10)
    assert len(lines) == 10 and all(line["keyword"] == "給付金" for line in lines)
    assert any(line["left"].endswith("対策の") for line in lines)

    table = words.crosstab(docs, "word", "ward", limit=10)
    assert table["keys"][:7] == ["川崎区", "幸区", "中原区", "高津区", "宮前区", "多摩区", "麻生区"]
    assert sum(table["column_totals"]) == len(docs)
    by_channel = words.crosstab(docs, "voice_type", "channel")
    assert sum(row["total"] for row in by_channel["table"]) == len(docs)


# -- the monthly report ----------------------------------------------------------------------------


def test_the_monthly_report_has_the_expected_figures(db: Any, manifest: Manifest,
                                                     extractor: words.WordExtractor) -> None:
    started = time.perf_counter()
    data = report.collect(db, "2026-10", extractor, TODAY)
    gaps.add_nearest(data.gaps["clusters"], lambda text: {"entry_id": "x-1", "title": "近いエントリ", "coverage": 0.4})
    html = report.render(data)
    seconds = time.perf_counter() - started
    assert seconds < 3, seconds
    assert data.rates["total"] == manifest.by_month["2026-10"]
    assert f"{manifest.by_month['2026-10']:,}件" in html
    assert f"{manifest.by_month['2026-09']:,}件" in html  # the previous month, compared with
    assert stats.percent(data.rates["satisfaction"]) in html and stats.percent(data.rates["answer_rate"]) in html
    for voice_type in VOICE_TYPES:
        assert f"<td>{voice_type}</td><td class=\"n\">{data.voice_types[voice_type]:,}</td>" in html
    assert "駐輪場" in html and "近いエントリ" in html
    assert html.count("<svg") >= 6 and "<script" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # self-contained
    assert "@media print" in html


def test_the_running_month_is_compared_with_the_same_days_and_shows_the_rising_benefit(
        db: Any, extractor: words.WordExtractor) -> None:
    data = report.collect(db, "2026-11", extractor, TODAY)
    assert data.end == TODAY and data.previous == (dt.date(2026, 10, 1), dt.date(2026, 10, 20))
    html = report.render(data)
    assert "前月の同じ日数" in html
    rising_section = html[html.index('id="rising"'):]
    assert "給付金" in rising_section


def test_the_running_month_is_marked_partial_and_has_no_days_to_come(db: Any, extractor: words.WordExtractor) -> None:
    """The running month's daily chart stops at today, and its bar in the 12 months is marked 「途中」 and explained."""
    html = report.render(report.collect(db, "2026-11", extractor, TODAY))
    volume = html[html.index('id="volume"'):html.index('id="breakdown"')]
    daily, monthly = volume.split("<h3>月別の件数")
    assert ">20日</text>" in daily or "20日: " in daily
    assert "21日" not in daily and "30日" not in daily
    assert ">途中</text>" in monthly and ">11月</text>" in monthly and "11月: " in monthly
    assert "（途中までの集計）" in monthly and "途中" not in daily
    assert "11月（途中）は11月20日までの集計です" in volume


def _ticks(svg_text: str) -> list[int]:
    labels = re.findall(r'text-anchor="end" font-size="10"[^>]*>([\d,]+)</text>', svg_text)
    return [int(t.replace(",", "")) for t in labels]


@pytest.mark.parametrize("month", ["2026-10", "2026-11"])
def test_the_reports_axes_have_round_ticks(db: Any, extractor: words.WordExtractor, month: str) -> None:
    """Every time chart of the report is labelled 0, then equal steps of 1, 2, 2.5 or 5 × 10^n, above the peak."""
    html = report.render(report.collect(db, month, extractor, TODAY))
    charts = re.findall(r"<svg[^>]*aria-label=\"[^\"]*(?:日別|月別)件数\".*?</svg>", html)
    assert len(charts) == 2
    for chart in charts:
        ticks = _ticks(chart)
        step = ticks[1]
        assert ticks[0] == 0 and all(b - a == step for a, b in itertools.pairwise(ticks)), ticks
        assert re.fullmatch(r"(1|2|25|5)0*", str(step)), ticks
        bars = [int(v.replace(",", "")) for v in re.findall(r": ([\d,]+)件", chart)]
        assert max(bars) <= ticks[-1] < max(bars) + step and len(ticks) <= 6, (ticks, max(bars))


def test_an_empty_month_says_so_instead_of_empty_charts_and_tables(tmp_path: Path,
                                                                  extractor: words.WordExtractor) -> None:
    """A month without inquiries says 「この期間の問い合わせはありません」: no axes over nothing, no bare headers."""
    path = tmp_path / "empty.sqlite3"
    empty = connect(str(path))
    migrate(empty)
    html = report.render(report.collect(empty, "2026-10", extractor, TODAY))
    empty.conn.close()
    assert html.count(report.EMPTY) >= 8
    assert "<tbody></tbody>" not in html
    assert 'aria-label="2026-10の日別件数"' not in html and 'aria-label="区別の件数"' not in html
    assert ">0.5<" not in html and not re.search(r">0</text>.*>0</text>.*>1</text>", html)


@pytest.mark.parametrize(("peak", "ticks"), [
    pytest.param(0, [], id="empty"),
    pytest.param(1, [0, 1], id="one"),
    pytest.param(3, [0, 1, 2, 3], id="three"),
    pytest.param(7, [0, 2, 4, 6, 8], id="seven"),
    pytest.param(265, [0, 100, 200, 300], id="issue-265"),
    pytest.param(1089, [0, 250, 500, 750, 1000, 1250], id="issue-1089"),
    pytest.param(739, [0, 200, 400, 600, 800], id="running-month"),
    pytest.param(1000, [0, 200, 400, 600, 800, 1000], id="exact"),
    pytest.param(48213, [0, 10000, 20000, 30000, 40000, 50000], id="large"),
])
def test_nice_ticks(peak: int, ticks: list[int]) -> None:
    """Axis ticks are round numbers from 0 to at or above the peak, at most six of them."""
    assert svg.nice_ticks(peak) == ticks


def test_a_month_in_the_future_or_malformed_is_refused(db: Any, extractor: words.WordExtractor) -> None:
    for month in ("2026-12", "2026-1", "2026/10", "october"):
        with pytest.raises(FilterError):
            report.collect(db, month, extractor, TODAY)


# -- migrations --------------------------------------------------------------------------------------


def _old_database(path: Path, version: int) -> None:
    db = connect(str(path))
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for number, step in enumerate(MIGRATIONS[:version], start=1):
        step(db)
        db.execute("INSERT INTO schema_version (version) VALUES (?)", [number])
    db["inquiries"].insert_all([  # type: ignore[union-attr]
        {"id": "old-1", "created_at": "2025-04-01T09:00:00.000+09:00", "channel": "web",
         "text": "住民票はどこで取れますか", "kind": "answer", "entry_id": "juminhyo", "confidence": 0.9,
         "candidates": '["juminhyo"]'},
        {"id": "old-2", "created_at": "2025-04-02T09:00:00.000+09:00", "channel": "phone",
         "text": "窓口の職員の態度がひどかった。改善してほしい", "kind": "fallback"},
    ])
    db["feedback"].insert({"inquiry_id": "old-1", "created_at": "2025-04-01T09:01:00.000+09:00",  # type: ignore[union-attr]
                           "helpful": 1})
    db.conn.close()


@pytest.mark.parametrize("version", [1, 2])
async def test_an_old_database_is_upgraded_in_place_at_open(tmp_path: Path, version: int) -> None:
    """A v1 or v2 file keeps its rows, gains the later tables and columns, and its inquiries get voice types."""
    path = tmp_path / "old.sqlite3"
    _old_database(path, version)
    log = InquiryLog(str(path))
    log.open()
    await log.close()
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == len(MIGRATIONS)
    rows = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM inquiries")}
    assert rows["old-1"]["text"] == "住民票はどこで取れますか" and rows["old-1"]["voice_type"] == "問い合わせ"
    assert rows["old-2"]["voice_type"] == "苦情"
    assert conn.execute("SELECT helpful FROM latest_feedback WHERE inquiry_id = 'old-1'").fetchone()[0] == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"handoffs", "phrasings", "users", "audit", "chat_messages"} <= tables
    assert inquiries.count(connect(str(path)), Filters(voice_types=("苦情",))) == 1


# -- voice types on insert ---------------------------------------------------------------------------


async def test_every_recorded_inquiry_gets_a_voice_type_from_text_and_note(tmp_path: Path) -> None:
    log = InquiryLog(str(tmp_path / "log.sqlite3"))
    log.open()
    base = {"created_at": "2026-11-20T10:00:00.000+09:00", "channel": "phone", "kind": "operator"}
    await log.record({**base, "id": "a", "text": "住民票の取り方"})
    await log.record({**base, "id": "b", "text": "住民票の件",
                      "note": "職員の対応が悪いと苦情。たらい回しにされたとのこと"})
    await log.record({**base, "id": "c", "text": "何でも", "voice_type": "提案"})  # given: kept
    types = dict(await log.read(lambda db: [(r["id"], r["voice_type"]) for r in db.query("SELECT * FROM inquiries")]))
    await log.close()
    assert types == {"a": "問い合わせ", "b": "苦情", "c": "提案"}


def test_counts_by_voice_type_list_every_type(db: Any) -> None:
    counts = inquiries.voice_type_counts(db, Filters(date_from=dt.date(2030, 1, 1)))
    assert counts == dict.fromkeys(VOICE_TYPES, 0)
    assert Counter(inquiries.voice_type_counts(db, Filters())).total() > 5000
