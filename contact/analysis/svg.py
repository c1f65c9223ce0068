"""Small inline SVG charts for the report: no scripts, no external resources, presentation attributes only
(no ``style=``), each with a ``<title>`` and ``aria-label`` so that screen readers announce the figures.

    >>> svg = bars([("中原区", 120), ("幸区", 80)], label="区別の件数")
    >>> svg.startswith("<svg") and "中原区" in svg and "120" in svg
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

COLOR = "#1f5fa8"
ACCENT = "#d9822b"
PARTIAL = "#9dbbe0"
"""A period the data covers only in part (the running month, days still to come): lighter, dashed outline."""
GRID = "#d0d7e2"
TEXT = "#222"
FONT = "'Hiragino Sans', 'Noto Sans JP', 'Noto Sans CJK JP', 'Yu Gothic', Meiryo, sans-serif"
"""The pages' Japanese sans-serif stack (single quotes: it goes inside a double-quoted attribute)."""


def nice_ticks(peak: float, most: int = 5) -> list[int]:
    """Round axis ticks for counts: 0, then equal steps of 1, 2, 2.5 or 5 × 10^n (whole numbers only), at most
    ``most`` of them, the last at or above ``peak``; none for an empty chart (``peak`` 0).

    >>> nice_ticks(1089), nice_ticks(265), nice_ticks(7), nice_ticks(1), nice_ticks(0)
    ([0, 250, 500, 750, 1000, 1250], [0, 100, 200, 300], [0, 2, 4, 6, 8], [0, 1], [])
    """
    if peak <= 0:
        return []
    magnitude = 10.0 ** math.floor(math.log10(peak / most))
    step = 10 * magnitude
    for m in (1, 2, 2.5, 5, 10):
        candidate = m * magnitude
        if candidate >= 1 and candidate.is_integer() and math.ceil(peak / candidate) <= most:
            step = candidate
            break
    step = max(1.0, step)
    count = math.ceil(peak / step)
    return [round(k * step) for k in range(count + 1)]


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bars(items: Sequence[tuple[str, float]], *, label: str, width: int = 640, unit: str = "件",
         label_width: int = 170, color: str = COLOR) -> str:
    """Horizontal bars, one row per item, value written after each bar."""
    row, top = 22, 6
    height = top * 2 + row * max(len(items), 1)
    peak = max((v for _, v in items), default=0) or 1
    room = width - label_width - 70
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">',
             f"<title>{escape(label)}</title>"]
    for i, (name, value) in enumerate(items):
        y = top + i * row
        length = max(1.0, room * value / peak) if value else 0.0
        parts.append(f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" font-size="12" '
                     f'font-family="{FONT}" fill="{TEXT}">{escape(_clip(name, 14))}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 7}" fill="{color}">'
                     f"<title>{escape(name)}: {_number(value)}{unit}</title></rect>")
        parts.append(f'<text x="{label_width + length + 5:.1f}" y="{y + 15}" font-size="12" font-family="{FONT}" '
                     f'fill="{TEXT}">{_number(value)}{escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def columns(items: Sequence[tuple[str, float]], *, label: str, width: int = 640, height: int = 200,
            unit: str = "件", every: int = 1, color: str = COLOR, highlight: Sequence[int] = (),
            partial: Sequence[int] = ()) -> str:
    """Vertical bars over time (days, weeks, months) on round ticks (:func:`nice_ticks`); every ``every``-th
    label is written; ``highlight`` marks bars (indexes) in the accent colour; ``partial`` marks periods the data
    covers only in part (lighter, dashed, 「途中」 under the label), so that they do not read as a drop."""
    left, bottom, top = 50, 28, 10
    plot_w, plot_h = width - left - 8, height - bottom - top
    ticks = nice_ticks(max((v for _, v in items), default=0)) or [0, 1]
    scale = ticks[-1]
    step = plot_w / max(len(items), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">',
             f"<title>{escape(label)}</title>"]
    for value in ticks:
        y = top + plot_h - plot_h * value / scale
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" font-family="{FONT}" '
                     f'fill="{TEXT}">{_number(value)}</text>')
    marked, unfinished = set(highlight), set(partial)
    for i, (name, value) in enumerate(items):
        h = plot_h * value / scale
        x = left + i * step
        fill = PARTIAL if i in unfinished else ACCENT if i in marked else color
        outline = f' stroke="{color}" stroke-width="1" stroke-dasharray="3 2"' if i in unfinished else ""
        note = "（途中までの集計）" if i in unfinished else ""
        parts.append(f'<rect x="{x + step * 0.12:.1f}" y="{top + plot_h - h:.1f}" width="{max(step * 0.76, 1):.1f}" '
                     f'height="{h:.1f}" fill="{fill}"{outline}><title>{escape(name)}: {_number(value)}{unit}{note}'
                     "</title></rect>")
        if i in unfinished:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{max(top + 10, top + plot_h - h - 4):.1f}" '
                         f'text-anchor="middle" font-size="10" font-weight="bold" font-family="{FONT}" '
                         f'fill="{TEXT}">途中</text>')
        if i % every == 0 or i in unfinished:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{height - 10}" text-anchor="middle" font-size="10" '
                         f'font-family="{FONT}" fill="{TEXT}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def sparkline(values: Sequence[float], *, label: str, width: int = 120, height: int = 28,
              color: str = ACCENT) -> str:
    """A tiny line of weekly counts, for table cells."""
    peak = max(values, default=0) or 1
    step = (width - 4) / max(len(values) - 1, 1)
    points = " ".join(f"{2 + i * step:.1f},{height - 3 - (height - 6) * v / peak:.1f}" for i, v in enumerate(values))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
            f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"/></svg>')


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
