"""Small inline SVG charts for the report: no scripts, no external resources, presentation attributes only
(no ``style=``), each with a ``<title>`` and ``aria-label`` so that screen readers announce the figures.

    >>> svg = bars([("中原区", 120), ("幸区", 80)], label="区別の件数")
    >>> svg.startswith("<svg") and "中原区" in svg and "120" in svg
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

COLOR = "#1f5fa8"
ACCENT = "#d9822b"
GRID = "#d0d7e2"
TEXT = "#222"
FONT = "sans-serif"


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
            unit: str = "件", every: int = 1, color: str = COLOR, highlight: Sequence[int] = ()) -> str:
    """Vertical bars over time (days, weeks, months); every ``every``-th label is written; ``highlight``
    marks bars (indexes) in the accent colour."""
    left, bottom, top = 44, 28, 10
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max((v for _, v in items), default=0) or 1
    step = plot_w / max(len(items), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">',
             f"<title>{escape(label)}</title>"]
    for k in range(5):
        value = peak * k / 4
        y = top + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" font-family="{FONT}" '
                     f'fill="{TEXT}">{_number(round(value))}</text>')
    marked = set(highlight)
    for i, (name, value) in enumerate(items):
        h = plot_h * value / peak
        x = left + i * step
        fill = ACCENT if i in marked else color
        parts.append(f'<rect x="{x + step * 0.12:.1f}" y="{top + plot_h - h:.1f}" width="{max(step * 0.76, 1):.1f}" '
                     f'height="{h:.1f}" fill="{fill}"><title>{escape(name)}: {_number(value)}{unit}</title></rect>')
        if i % every == 0:
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
