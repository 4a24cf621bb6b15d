"""A tiny server-side bar chart: geometry for an inline SVG (no chart library, no JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # under the bar
    title: str  # tooltip and accessible text


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    bars: list[Bar]
    summary: str  # the whole chart in words, for screen readers


def bar_chart(points: list[tuple[str, Decimal | int, str]], *, width: int = 560, height: int = 160,
              summary: str = "") -> Chart:
    """Bars for (label, value, title) points, scaled to the largest value; a zero value gets no bar."""
    label_space, top = 18.0, 6.0
    plot = height - label_space - top
    peak = max((Decimal(value) for _, value, _ in points), default=Decimal(0)) or Decimal(1)
    slot = width / max(len(points), 1)
    bars = []
    for index, (label, value, title) in enumerate(points):
        bar_height = float(Decimal(value) / peak) * plot
        bars.append(Bar(round(index * slot + slot * 0.15, 1), round(top + plot - bar_height, 1),
                        round(slot * 0.7, 1), round(bar_height, 1), label, title))
    return Chart(width, height, top + plot, bars, summary)
