"""The monthly report (月次レポート): one self-contained HTML page for the service-improvement (PDCA) meeting.

Everything a staff member needs to print or attach: headline figures against the previous month,
volume by day and over twelve months, wards, channels and categories, voice types with examples,
the most used answers and the least satisfying ones, knowledge gaps with the nearest entry, and
rising topics. Charts are inline SVG drawn by :mod:`contact.analysis.svg`; there are no scripts
and no external resources, and the CSS prints on A4.

:func:`collect` reads the log (run it in the executor); :func:`render` turns the result into HTML::

    report = collect(db, "2026-10", WordExtractor(), today=dt.date(2026, 11, 20))
    add_nearest(report.gaps["clusters"], engine_nearest(engine))
    html = render(report)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from html import escape
from typing import Any

from contact.analysis import svg
from contact.analysis.filters import (
    CHANNEL_LABELS,
    KIND_LABELS,
    RESOLUTION_LABELS,
    FilterError,
    Filters,
    in_range,
)
from contact.analysis.gaps import is_gap, knowledge_gaps
from contact.analysis.inquiries import voice_type_counts
from contact.analysis.rising import rising
from contact.analysis.stats import breakdown, change, daily_counts, percent, rates
from contact.analysis.voice import VOICE_TYPES
from contact.analysis.words import WordExtractor, compare_periods, load_docs


def parse_month(value: str) -> tuple[dt.date, dt.date]:
    """``YYYY-MM`` → (first day, last day); :class:`FilterError` for anything else."""
    try:
        year, month = (int(p) for p in value.split("-"))
        first = dt.date(year, month, 1)
    except (ValueError, TypeError) as exc:
        raise FilterError("'month' must be YYYY-MM, e.g. 2026-10", "invalid_parameter") from exc
    if len(value) != 7:
        raise FilterError("'month' must be YYYY-MM, e.g. 2026-10", "invalid_parameter")
    in_range(first, "month")
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return first, last


def _month_before(first: dt.date) -> tuple[dt.date, dt.date]:
    last = first - dt.timedelta(days=1)
    return last.replace(day=1), last


@dataclass
class MonthlyReport:
    month: str
    start: dt.date
    end: dt.date
    """Last day covered: the month's last day, or today for the running month."""
    previous: tuple[dt.date, dt.date]
    """The period compared with: the month before, or its same days while this month runs."""
    filters: Filters
    generated_at: str
    rates: dict[str, Any]
    previous_rates: dict[str, Any]
    daily: list[tuple[dt.date, int]]
    monthly: list[tuple[str, int]]
    wards: list[dict[str, Any]]
    channels: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    resolutions: list[dict[str, Any]]
    kinds: list[dict[str, Any]]
    voice_types: dict[str, int]
    previous_voice_types: dict[str, int]
    voice_examples: dict[str, list[str]]
    top_entries: list[dict[str, Any]]
    low_rated: list[dict[str, Any]]
    gaps: dict[str, Any]
    rising_week: dict[str, Any]
    rising_month: list[dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)


def collect(db: Any, month: str, extractor: WordExtractor, today: dt.date | None = None,
            filters: Filters | None = None, max_confidence: float = 0.6, now: dt.datetime | None = None
            ) -> MonthlyReport:
    """Everything the report shows for ``month`` (YYYY-MM) under ``filters`` (their dates are replaced)."""
    start, last = parse_month(month)
    if today is not None and today < start:
        raise FilterError(f"{month} has not begun yet", "month_not_begun")
    end = min(last, today) if today else last
    base = replace(filters or Filters(), date_from=None, date_to=None)
    current = base.between(start, end)
    prev_start, prev_end = _month_before(start)
    partial = end < last
    if partial:  # the running month: compare with the same days of the month before
        prev_end = min(prev_end, prev_start + (end - start))
    previous = base.between(prev_start, prev_end)

    per_day = daily_counts(db, current)
    daily = [(start + dt.timedelta(days=k), per_day.get(start + dt.timedelta(days=k), 0))
             for k in range((last - start).days + 1)]
    months: list[tuple[str, int]] = []
    first = start
    for _ in range(12):
        m_end = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        months.append((first.isoformat()[:7], sum(daily_counts(db, base.between(first, m_end)).values())))
        first = _month_before(first)[0]
    months.reverse()

    window_start = min(prev_start, end - dt.timedelta(days=34))
    prev_docs_end = prev_end
    docs = load_docs(db, base.between(window_start, end), extractor)
    month_docs = [d for d in docs if start <= d.day <= end]
    prev_docs = [d for d in docs if prev_start <= d.day <= prev_docs_end]
    gap_docs = [d for d in month_docs if is_gap(d, max_confidence)]
    examples: dict[str, list[str]] = {}
    for d in reversed(month_docs):
        if d.voice_type and d.voice_type != "問い合わせ":
            bucket = examples.setdefault(d.voice_type, [])
            if d.text not in bucket and len(bucket) < 3:
                bucket.append(d.text)
    entries = breakdown(db, current, "entry", 200)
    named = [e for e in entries if e["key"]]
    low_rated = sorted((e for e in named if e["rated"] >= 5), key=lambda e: (e["satisfaction"], -e["rated"]))[:5]
    return MonthlyReport(
        month=month, start=start, end=end, previous=(prev_start, prev_end), filters=base,
        generated_at=(now or dt.datetime.now()).isoformat(timespec="minutes"),
        rates=rates(db, current), previous_rates=rates(db, previous),
        daily=daily, monthly=months,
        wards=breakdown(db, current, "ward"), channels=breakdown(db, current, "channel"),
        categories=breakdown(db, current, "category", 15), resolutions=breakdown(db, current, "resolution"),
        kinds=breakdown(db, current, "kind"),
        voice_types=voice_type_counts(db, current), previous_voice_types=voice_type_counts(db, previous),
        voice_examples=examples, top_entries=named[:10], low_rated=low_rated,
        gaps=knowledge_gaps(gap_docs, max_confidence, min_size=2, limit=10, background=month_docs),
        rising_week=rising(docs, end, limit=8),
        rising_month=compare_periods(month_docs, prev_docs, limit=10),
    )


# -- rendering --------------------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
body { font-family: "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Noto Sans JP", "Noto Sans CJK JP",
       "Yu Gothic UI", "Yu Gothic", Meiryo, "BIZ UDPGothic", system-ui, sans-serif;
       color: #222; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; line-height: 1.6; }
h1 { font-size: 1.6rem; border-bottom: 3px solid #1f5fa8; padding-bottom: .3rem; }
h2 { font-size: 1.2rem; border-left: 6px solid #1f5fa8; padding-left: .5rem; margin-top: 2rem; }
h3 { font-size: 1rem; margin-bottom: .3rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #c5cdd8; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef2f7; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: .5rem; }
.kpi { border: 1px solid #c5cdd8; border-radius: 4px; padding: .5rem .75rem; }
.kpi b { display: block; font-size: 1.5rem; }
.kpi small { color: #555; }
.meta, .note { color: #555; font-size: .85rem; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
ul.examples { margin: .2rem 0; padding-left: 1.2rem; }
.up { color: #b3261e; } .down { color: #1f6f3f; }
@media (max-width: 50rem) { .two { grid-template-columns: 1fr; } }
@media print {
  @page { size: A4; margin: 14mm; }
  body { margin: 0; max-width: none; font-size: 10pt; }
  section { break-inside: avoid-page; }
  h2 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def _n(value: int) -> str:
    return f"{value:,}"


def _change(current: int, previous: int) -> str:
    rel = change(current, previous)
    if rel is None:
        return "—"
    cls = "up" if rel > 0 else "down" if rel < 0 else ""
    return f'<span class="{cls}">{rel * 100:+.1f}%</span>'


def _points(current: float | None, previous: float | None) -> str:
    if current is None or previous is None:
        return "—"
    return f"{(current - previous) * 100:+.1f}ポイント"


EMPTY = "この期間の問い合わせはありません"
"""What a chart or a table of a period without inquiries says, instead of empty axes or headers without rows."""


def _note(text: str) -> str:
    return f'<p class="note empty">{escape(text)}</p>'


def _chart(chart: str, values: Sequence[float], empty: str = EMPTY) -> str:
    """The chart, or ``empty`` when it would draw nothing but axes."""
    return chart if any(values) else _note(empty)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = (),
           empty: str = "該当なし") -> str:
    """A table, or the ``empty`` note when there are no rows (never headers over nothing)."""
    if not rows:
        return _note(empty)

    def cls(i: int) -> str:
        return ' class="n"' if i in numeric else ""

    head = "".join(f'<th scope="col"{cls(i)}>{h}</th>' for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _examples(texts: Sequence[str]) -> str:
    return '<ul class="examples">' + "".join(f"<li>{escape(t)}</li>" for t in texts) + "</ul>"


def _label(key: str | None, labels: dict[str, str] | None = None) -> str:
    if key in (None, ""):
        return "(不明)"
    return labels.get(key, key) if labels else str(key)


def render(r: MonthlyReport) -> str:
    """The report as one HTML document (UTF-8, inline CSS and SVG, no scripts)."""
    year, month = r.month.split("-")
    title = f"市民の声 月次レポート {year}年{int(month)}月"
    cur, prev = r.rates, r.previous_rates
    period = f"{r.start.isoformat()} 〜 {r.end.isoformat()}"
    running = r.end < parse_month(r.month)[1]  # the month is still running: its figures stop at r.end
    compared = "前月の同じ日数" if running else "前月"
    none = EMPTY if not cur["total"] else "該当なし"
    filters = r.filters.describe()
    filter_text = "、".join(f"{k}={v}" for k, v in filters.items()) if filters else "なし（全件）"
    voice_total = sum(r.voice_types.values())
    opinions = voice_total - r.voice_types.get("問い合わせ", 0)

    def versus(key: str) -> str:
        return f"前月比 {_points(cur[key], prev[key])}"

    opinion_share = percent(opinions / voice_total if voice_total else None)
    kpis = [
        ("問い合わせ件数", f"{_n(cur['total'])}件",
         f"{compared} {_n(prev['total'])}件（{_change(cur['total'], prev['total'])}）"),
        ("自動応答の回答率", percent(cur["answer_rate"]), versus("answer_rate")),
        ("回答できなかった率", percent(cur["fallback_rate"]), versus("fallback_rate")),
        ("有人対応の希望率", percent(cur["handoff_rate"]), versus("handoff_rate")),
        ("満足度（役に立った）", percent(cur["satisfaction"]), f"評価 {_n(cur['rated'])}件中 {_n(cur['helpful'])}件"),
        ("意見・要望・苦情・提案・感謝", f"{_n(opinions)}件", f"全体の {opinion_share}"),
    ]
    out = [
        "<!DOCTYPE html>", '<html lang="ja"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<header><h1>{escape(title)}</h1>",
        f'<p class="meta">対象期間 {period}（比較：{compared} {r.previous[0].isoformat()} 〜 '
        f"{r.previous[1].isoformat()}）"
        f"　絞り込み {escape(filter_text)}　作成 {escape(r.generated_at)}</p></header>",
        '<section id="summary"><h2>1. 概要</h2>',
        _note(f"{EMPTY}（{period}）。") if not cur["total"] else "",
        '<div class="kpis">',
        *(f'<div class="kpi"><small>{escape(k)}</small><b>{v}</b><small>{sub}</small></div>' for k, v, sub in kpis),
        "</div></section>",
    ]

    every = 5 if len(r.daily) > 20 else 1
    days = [(d, n) for d, n in r.daily if d <= r.end]  # the running month: the days still to come are not zeros
    weekend = [i for i, (d, _) in enumerate(days) if d.weekday() >= 5]
    until = f"{r.end.month}月{r.end.day}日"
    last = len(r.monthly) - 1
    out += [
        '<section id="volume"><h2>2. 件数の推移</h2>',
        f"<h3>日別の件数（橙は土日{f'、{until}まで' if running else ''}）</h3>",
        _chart(svg.columns([(f"{d.day}日", n) for d, n in days], label=f"{r.month}の日別件数", every=every,
                           highlight=weekend), [n for _, n in days]),
        "<h3>月別の件数（直近12か月）</h3>",
        _chart(svg.columns([(f"{int(m[5:])}月", n) for m, n in r.monthly], label="直近12か月の月別件数",
                           highlight=[] if running else [last], partial=[last] if running else []),
               [n for _, n in r.monthly]),
        f'<p class="note">{int(r.month[5:])}月（途中）は{until}までの集計です。月全体の件数ではありません。</p>'
        if running else "",
        "</section>",
    ]

    def bar_items(items: list[dict[str, Any]], labels: dict[str, str] | None = None, limit: int = 12
                  ) -> list[tuple[str, float]]:
        return [(_label(i["key"], labels), i["count"]) for i in items[:limit]]

    out += [
        '<section id="breakdown"><h2>3. 内訳</h2><div class="two">',
        "<div><h3>区別</h3>",
        _chart(svg.bars(bar_items(r.wards), label="区別の件数", width=440, label_width=110),
               [i["count"] for i in r.wards]), "</div>",
        "<div><h3>チャネル別</h3>",
        _chart(svg.bars(bar_items(r.channels, CHANNEL_LABELS), label="チャネル別の件数", width=440, label_width=150),
               [i["count"] for i in r.channels]), "</div>",
        "</div><h3>分類別（上位15）</h3>",
        _chart(svg.bars(bar_items(r.categories, limit=15), label="分類別の件数"), [i["count"] for i in r.categories]),
        '<div class="two"><div><h3>自動応答の結果</h3>',
        _table(["結果", "件数", "割合"], [[_label(i["key"], KIND_LABELS), _n(i["count"]), percent(i["share"])]
                                     for i in r.kinds], numeric=(1, 2), empty=none),
        "</div><div><h3>オペレーター対応の結果</h3>",
        _table(["対応結果", "件数"], [[_label(i["key"], RESOLUTION_LABELS), _n(i["count"])]
                                 for i in r.resolutions if i["key"]], numeric=(1,), empty=none),
        "</div></div></section>",
    ]

    voice_rows = [[escape(t), _n(r.voice_types.get(t, 0)), _n(r.previous_voice_types.get(t, 0)),
                   _change(r.voice_types.get(t, 0), r.previous_voice_types.get(t, 0)),
                   _examples(r.voice_examples.get(t, []))] for t in VOICE_TYPES]
    out += [
        '<section id="voice"><h2>4. 声の種類</h2>',
        _chart(svg.bars([(t, r.voice_types.get(t, 0)) for t in VOICE_TYPES], label="声の種類別の件数", label_width=110),
               list(r.voice_types.values())),
        _table(["種類", "今月", "前月", "増減", "最近の例"], voice_rows, numeric=(1, 2, 3)),
        '<p class="note">声の種類は問い合わせ内容とメモから規則（contact/analysis/voice_rules.yaml）で'
        "自動分類しています。</p>",
        "</section>",
    ]

    out += [
        '<section id="entries"><h2>5. よく使われた回答と満足度</h2>',
        _table(["回答エントリ", "件数", "評価数", "満足度"],
               [[f"{escape(e.get('title') or '')}<br><small>{escape(e['key'])}</small>", _n(e["count"]),
                 _n(e["rated"]), percent(e["satisfaction"])] for e in r.top_entries], numeric=(1, 2, 3), empty=none),
        "<h3>満足度の低い回答（評価5件以上）</h3>",
        _table(["回答エントリ", "評価数", "満足度"],
               [[f"{escape(e.get('title') or '')}<br><small>{escape(e['key'])}</small>", _n(e["rated"]),
                 percent(e["satisfaction"])] for e in r.low_rated], numeric=(1, 2))
        if r.low_rated else _note(EMPTY if not cur["total"] else "評価が5件以上ある回答はありません。"),
        "</section>",
    ]

    gaps = r.gaps
    gap_rows = []
    for c in gaps["clusters"]:
        nearest = c.get("nearest")
        near = (f"{escape(nearest['title'])}<br><small>{escape(nearest['entry_id'])}（一致度 "
                f"{percent(nearest['coverage'], 0)}）</small>" if nearest else "—")
        gap_rows.append([_n(c["size"]), escape(c["label"]), _examples(c["examples"][:3]), near])
    out += [
        '<section id="gaps"><h2>6. 回答できなかった質問（ナレッジの不足）</h2>',
        f'<p>回答できなかった、または確信度の低かった問い合わせ {_n(gaps["total"])}件のうち、'
        f'{_n(gaps["clustered"])}件が似た質問のまとまり {_n(gaps["clusters_total"])}件になりました（大きい順）。'
        "FAQの追加や既存エントリへの言い換えの追加を検討してください。</p>",
        _table(["件数", "話題", "質問の例", "最も近い既存エントリ"], gap_rows, numeric=(0,))
        if gap_rows else _note(none),
        "</section>",
    ]

    week = r.rising_week
    word_rows = [[escape(w["word"]), _n(w["count"]), f"{w['baseline']:.1f}", f"{w['ratio']:.1f}倍",
                  svg.sparkline(w["weekly"], label=f"{w['word']}の週別件数 {w['weekly']}"),
                  _examples(w["examples"][:2])] for w in week["words"]]
    cluster_rows = [[escape(c["label"]), _n(c["count"]), f"{c['baseline']:.1f}",
                     svg.sparkline(c["weekly"], label=f"{c['label']}の週別件数 {c['weekly']}"),
                     _examples(c["examples"][:2])] for c in week["clusters"]]
    month_rows = [[escape(w["word"]), _n(w["count"]), _n(int(w["baseline"])), f"{w['ratio']:.1f}倍",
                   _examples(w["examples"][:2])] for w in r.rising_month]
    out += [
        '<section id="rising"><h2>7. 急上昇の話題</h2>',
        f'<h3>直近1週間（{week["week"]["from"]}〜{week["week"]["to"]}）に前の4週間の平均より増えた言葉</h3>',
        _table(["言葉", "今週", "前4週平均", "倍率", "週別の推移", "例"], word_rows, numeric=(1, 2, 3))
        if word_rows else _note("該当なし"),
        "<h3>増えている質問のまとまり</h3>",
        _table(["話題", "今週", "前4週平均", "週別の推移", "例"], cluster_rows, numeric=(1, 2))
        if cluster_rows else _note("該当なし"),
        "<h3>前月より増えた言葉</h3>",
        _table(["言葉", "今月", "前月", "倍率", "例"], month_rows, numeric=(1, 2, 3))
        if month_rows else _note(none),
        "</section>",
    ]

    out += [
        '<section id="definitions"><h2>用語と算出方法</h2><ul class="note">',
        "<li>自動応答の件数：オペレーターが記録したものと、あいさつ等を除いた問い合わせ。回答率・回答できなかった率・"
        "有人対応の希望率はこれに対する割合です。</li>",
        "<li>満足度：「役に立った」の評価数 ÷ 評価のあった問い合わせ数（問い合わせごとに最新の評価）。</li>",
        "<li>回答できなかった質問：回答できなかったもの、および確信度0.6未満で回答・聞き返したもの。"
        "内容語（Sudachiによる名詞・動詞など）の類似度でまとめています。</li>",
        "<li>急上昇：直近7日間の件数が前の4週間の平均より多く（5件以上、2倍以上）、増え方の大きい順。</li>",
        "<li>問い合わせ内容の個人情報（電話番号・住所・氏名など）は記録時にマスクしています。</li>",
        "</ul></section></body></html>",
    ]
    return "\n".join(out)
