"""The Overview's headline: one or two sentences that say what matters in a scope.

Pure functions, no Streamlit: the Overview and the one-page briefing word the same facts
(data_access/figures/overview.py:headline_facts), from the same figures as the KPI cards.

    全市每万人社区工作者18.2人，达到标准；仍有202个社区未达标，东湖区最低（16.5）。
    工作事项较基期精简63.0%，3个社区出现反弹。
"""

from __future__ import annotations

from typing import Literal, SupportsFloat, cast

from dashboard import formatting
from data_access.catalog import translate
from data_access.figures.overview import HeadlineFacts

Status = Literal["meets", "close", "below"]


def status_of(value: object, target: float, close_ratio: float) -> Status | None:
    """Meets (≥ target), close (≥ close_ratio × target) or below; None for a missing value.

    For a measure where lower is better, pass the shortfall's complement (e.g. 1 − gap share).
    """
    if formatting.is_missing(value):
        return None
    number = float(cast(SupportsFloat, value))
    if number >= target:
        return "meets"
    return "close" if number >= close_ratio * target else "below"


def headline_sentences(facts: HeadlineFacts, scope_name: str, language: str) -> list[str]:
    """One sentence on staffing and one on burden and grids of the area `scope_name`, in the
    language ("zh" or "en"); the facts are data_access/figures/overview.py:headline_facts."""

    def say(key: str, **values: object) -> str:
        return translate(language, f"headline.{key}", **values)

    sentences = []
    if facts.per_10k is not None:
        standing = (
            say("meets")
            if facts.per_10k >= facts.standard
            else say("below_standard", standard=formatting.decimal(facts.standard, 0))
        )
        staffing_text = say(
            "per_10k",
            scope=scope_name,
            value=formatting.decimal(facts.per_10k),
            standing=standing,
        )
        if facts.level == "community":
            rest = say("short", n=formatting.integer(facts.gap)) if facts.gap else say("full")
        elif facts.communities_below == 0:
            rest = say("all_meet", n=formatting.integer(facts.communities_assessed))
        else:
            rest = say("some_below", n=formatting.integer(facts.communities_below))
            if facts.weakest_name is not None:
                rest += say(
                    "weakest",
                    name=facts.weakest_name,
                    value=formatting.decimal(facts.weakest_per_10k),
                )
        sentences.append(staffing_text + rest + say("end"))
    parts = []
    if facts.category is not None and facts.reduction is not None:
        category = translate(language, f"category.{facts.category}")
        key = "reduced" if facts.reduction >= 0 else "grew"
        percent = formatting.decimal(abs(facts.reduction) * 100)
        parts.append(say(key, category=category, pct=percent))
    if facts.level == "community":
        parts.append(say("rebound_here") if facts.rebounding_communities else say("no_rebound"))
    elif facts.rebounding_communities:
        parts.append(say("rebounds", n=formatting.integer(facts.rebounding_communities)))
    else:
        parts.append(say("no_rebounds"))
    if facts.unstaffed_grids:
        parts.append(say("unstaffed", n=formatting.integer(facts.unstaffed_grids)))
    sentences.append(say("join").join(parts) + say("end"))
    return [sentence[:1].upper() + sentence[1:] for sentence in sentences]
