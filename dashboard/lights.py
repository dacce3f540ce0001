"""How a traffic light (data_access/lights.py) is shown: its colour, mark and words (pure).

The rule decides the state; this module only draws it, the same on the cards, the chart bars,
the table cells, the map legends, the wall screen and the briefing. A state is never told by
colour alone: each has a mark whose fill says how far the value got (● meets, ◐ close, ○ below)
and a word, and every lit place has a legend beside it.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from dashboard import formatting, palette
from data_access.catalog import Text
from data_access.lights import LIGHTS, Light, LightRule

MARKS: dict[Light, str] = {"meets": "●", "close": "◐", "below": "○"}


def colour(state: Light, dark: bool = False) -> str:
    """The state's colour on a light page, or on the wall screen's dark background."""
    return (palette.STATUS_ON_DARK if dark else palette.STATUS)[state]


def mark(state: Light | None) -> str:
    """The state's mark; "" for a value that is not judged or missing."""
    return "" if state is None else MARKS[state]


def word(state: Light, text: Text) -> str:
    return text(f"status.{state}")


def tag(state: Light | None, text: Text) -> str:
    """Mark and word, e.g. "◐ 接近"; "" when not judged."""
    return "" if state is None else f"{MARKS[state]} {word(state, text)}"


def marked(value_text: str, state: Light | None) -> str:
    """A value written with its mark after it, e.g. "17.9 ◐" (unchanged when not judged)."""
    return value_text if state is None else f"{value_text} {MARKS[state]}"


def threshold(measure: str, value: float, language: str) -> str:
    """A standard, target or close line as a legend writes it: 18.0, 16.2, 100%, 90%, 45%."""
    if measure in formatting.RATE_METRICS or measure == "filled_share":
        whole = abs(value * 100 - round(value * 100)) < 1e-9
        return formatting.percent(value, 0 if whole else 1)
    return formatting.metric(measure, value, language)


def entries(text: Text, close_ratio: float) -> list[tuple[Light, str]]:
    """The legend of lights against different standards (cards): what each state means."""
    pct = f"{close_ratio * 100:.0f}"
    return [
        (
            state,
            text("status.entry", tag=tag(state, text), rule=text(f"status.rule.{state}", pct=pct)),
        )
        for state in LIGHTS
    ]


def rule_entries(
    rule: LightRule, text: Text, write: Callable[[float], str]
) -> list[tuple[Light, str]]:
    """The legend of one measure's lights with its thresholds written by `write`, e.g.
    "● 达标 ≥ 18.0", "◐ 接近 16.2–18.0", "○ 未达标 < 16.2"."""
    target, low = write(rule.target), write(rule.close_from)
    ranges = {"meets": f"≥ {target}", "close": f"{low}–{target}", "below": f"< {low}"}
    return [(state, f"{tag(state, text)} {ranges[state]}") for state in LIGHTS]


def legend_html(
    items: Sequence[tuple[Light, str]], title: str | None = None, dark: bool = False
) -> str:
    """A legend line: a swatch of each state's colour and its (escaped) text."""
    cells = "".join(
        f'<span class="light-legend-item light-{state}" style="display:inline-flex;'
        'align-items:center;margin-right:14px;white-space:nowrap">'
        f'<span style="display:inline-block;width:14px;height:14px;border-radius:2px;'
        f'background:{colour(state, dark)};margin-right:5px"></span>{html.escape(label)}</span>'
        for state, label in items
    )
    head = "" if title is None else f'<b style="margin-right:10px">{html.escape(title)}</b>'
    return f'<div class="light-legend" style="line-height:1.9;margin:0.2rem 0">{head}{cells}</div>'
