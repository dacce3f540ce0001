"""The Overview's headline: one or two sentences that say what matters in a scope.

Pure functions, no Streamlit: the Overview and the one-page briefing build the same sentences
from the same query results as the KPI cards. Keep these names and signatures stable:
HeadlineFacts, headline_facts, headline_sentences, facts_for, status_of.

    全市每万人社区工作者18.2人，达到标准；仍有202个社区未达标，东湖区最低（16.5）。
    工作事项较基期精简63.0%，3个社区出现反弹。
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, SupportsFloat, cast

import pandas as pd
from sqlalchemy import Engine

from dashboard import formatting
from data_access.catalog import translate
from data_access.figures.burden import reduction_of
from data_access.queries import burden, grids, staffing
from data_access.scope import Scope
from data_access.settings import Settings

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


@dataclass(frozen=True)
class HeadlineFacts:
    """What the headline says, taken from the query results the Overview's cards show."""

    scope_name: str
    level: str  # city, district, street or community
    per_10k: float | None
    standard: float
    communities_assessed: int
    communities_below: int  # assessed communities short of their required headcount
    gap: int  # workers short, summed over the communities that are short
    weakest_name: str | None  # the child unit with the lowest per 10,000 (not at community scope)
    weakest_per_10k: float | None
    category: str | None  # the first main burden category
    reduction_pct: float | None  # its reduction against the baseline, in %
    rebounding_communities: int  # communities with a rebound in any category
    unstaffed_grids: int


def _number(value: object) -> float | None:
    return None if formatting.is_missing(value) else float(cast(SupportsFloat, value))


def headline_facts(
    scope: Scope,
    scope_name: str,
    settings: Settings,
    total: Mapping[str, object] | pd.Series,
    children: pd.DataFrame | None,
    reduction_pct: float | None,
    rebounds: pd.DataFrame,
    grid_total: Mapping[str, object] | pd.Series,
) -> HeadlineFacts:
    """The facts from staffing_total, staffing_by_unit (children; None at community scope), the
    first main category's reduction_of, community_rebounds and grid_staffing_total."""
    weakest = None
    if children is not None and scope.level != "community":
        ranked = children.dropna(subset=["per_10k"]).sort_values(["per_10k", "code"])
        weakest = None if ranked.empty else ranked.iloc[0]
    assessed = int(_number(total.get("communities_assessed")) or 0)
    meeting = int(_number(total.get("communities_meeting")) or 0)
    categories = settings.main_categories
    return HeadlineFacts(
        scope_name=scope_name,
        level=scope.level,
        per_10k=_number(total.get("per_10k")),
        standard=settings.standard_per_10k,
        communities_assessed=assessed,
        communities_below=assessed - meeting,
        gap=int(_number(total.get("gap")) or 0),
        weakest_name=None if weakest is None else str(weakest["name"]),
        weakest_per_10k=None if weakest is None else float(weakest["per_10k"]),
        category=categories[0] if categories else None,
        reduction_pct=reduction_pct,
        rebounding_communities=int(rebounds["community_code"].nunique()) if len(rebounds) else 0,
        unstaffed_grids=int(_number(grid_total.get("unstaffed_grids")) or 0),
    )


def headline_sentences(facts: HeadlineFacts, language: str) -> list[str]:
    """One sentence on staffing and one on burden and grids, in the language ("zh" or "en")."""

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
            scope=facts.scope_name,
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
    if facts.category is not None and facts.reduction_pct is not None:
        category = translate(language, f"category.{facts.category}")
        key = "reduced" if facts.reduction_pct >= 0 else "grew"
        parts.append(say(key, category=category, pct=formatting.decimal(abs(facts.reduction_pct))))
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


def facts_for(engine: Engine, scope: Scope, scope_name: str, settings: Settings) -> HeadlineFacts:
    """The facts straight from the database, for a briefing made outside the app."""
    total = staffing.staffing_total(engine, scope, settings)
    children = (
        None if scope.level == "community" else staffing.staffing_by_unit(engine, scope, settings)
    )
    categories = settings.main_categories
    reduction_pct = None
    if categories:
        series = burden.monthly_series(engine, scope, categories[:1])
        reduction_pct = reduction_of(series, scope.as_of, settings).reduction_pct
    return headline_facts(
        scope,
        scope_name,
        settings,
        total,
        children,
        reduction_pct,
        burden.community_rebounds(engine, scope, settings),
        grids.grid_staffing_total(engine, scope),
    )
