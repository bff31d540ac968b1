"""Charts drawn on the server as SVG: nothing to fetch, no script to run (offices are offline)."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

WIDTH, HEIGHT, PAD = 720, 300, 40


def burndown_svg(points: list[dict[str, Any]], deadline: dt.date) -> str:
    """Open cases per day, and the target: the straight line from the open count on the day the
    first case was open (the campaign's reference date has none yet) to zero at the deadline."""
    if not points:
        return '<p id="burndown-empty">尚无案件。</p>'
    first = dt.date.fromisoformat(points[0]["day"])
    last = max(deadline, dt.date.fromisoformat(points[-1]["day"]))
    span = max(1, (last - first).days)
    top = max(1, max(p["open"] for p in points))

    def x(day: dt.date) -> float:
        return PAD + (WIDTH - 2 * PAD) * (day - first).days / span

    def y(value: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * value / top

    line = " ".join(f"{x(dt.date.fromisoformat(p['day'])):.1f},{y(p['open']):.1f}" for p in points)
    begun = next((p for p in points if p["open"] > 0), points[0])
    ideal = f"{x(dt.date.fromisoformat(begun['day'])):.1f},{y(begun['open']):.1f} {x(deadline):.1f},{y(0):.1f}"
    today = points[-1]
    return (
        f'<svg id="burndown" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="燃尽图">'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#888"/>'
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#888"/>'
        f'<polyline class="target-line" points="{ideal}" fill="none" stroke="#999" stroke-dasharray="6 4"/>'
        f'<polyline class="open-line" points="{line}" fill="none" stroke="#0b4f8a" stroke-width="2"/>'
        f'<text x="{PAD}" y="{PAD - 10}" font-size="12">{top}</text>'
        f'<text x="{PAD}" y="{HEIGHT - 12}" font-size="12">{escape(first.isoformat())}</text>'
        f'<text x="{WIDTH - PAD - 80}" y="{HEIGHT - 12}" font-size="12">{escape(deadline.isoformat())}</text>'
        f'<text x="{x(dt.date.fromisoformat(today["day"])):.1f}" y="{y(today["open"]) - 6:.1f}" font-size="12">'
        f"{today['open']}</text>"
        "</svg>"
    )
