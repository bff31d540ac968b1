"""The burn-down's target line (api/charts.py): from the open count on the day cases began to be
open down to zero at the deadline — not flat along the axis from the reference date's zero."""

from __future__ import annotations

import datetime as dt
import re

from api.charts import HEIGHT, PAD, burndown_svg


def test_the_target_line_starts_where_cases_began() -> None:
    start = dt.date(2026, 9, 1)
    opens = [0, 0, 0, 40, 38, 35]
    points = [{"day": (start + dt.timedelta(days=n)).isoformat(), "open": v} for n, v in enumerate(opens)]
    svg = burndown_svg(points, dt.date(2027, 6, 5))
    target = re.search(r'class="target-line" points="([^"]+)"', svg)
    assert target is not None
    (x0, y0), (_x1, y1) = [tuple(map(float, pair.split(","))) for pair in target.group(1).split()]
    assert y0 == PAD and y1 == HEIGHT - PAD  # from the top of the chart (40 open) down to zero
    assert x0 > PAD  # on the day the first cases were open, not the reference date
