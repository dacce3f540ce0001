"""简报 Briefing: one A4 page per unit — headline, six KPIs against their standard, top alerts,
one chart (docs/architecture.md §6). Printed from the sidebar or `python -m dashboard.snapshot --page briefing`."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import pandas as pd
import streamlit as st

from dashboard import formatting, lights
from dashboard.charts import ranking_bar
from dashboard.components import STATUS_COLOURS, page_header, per_community_note, stop_if_empty
from dashboard.context import PageContext, page_context
from dashboard.headline import (
    assessed_units,
    change_sentence,
    far_below_units,
    headline_sentences,
)
from dashboard.i18n import current_language, fmt_decimal, fmt_pct, t
from dashboard.report import TABLE_RULES, table_html
from data_access.figures import burden as burden_figures
from data_access.figures import grids as grid_figures
from data_access.figures import overview as overview_figures
from data_access.figures import premises as premises_figures
from data_access.figures import staffing as staffing_figures
from data_access.lights import Light, light_of, rule_of
from data_access.models import BURDEN_CATEGORIES

TOP_ALERTS = 5
CHART_UNITS = 12  # the chart shows the weakest units only, so that the page stays one page


@dataclass(frozen=True)
class Card:
    """A KPI of the briefing: its value, its standard or target and how it stands against it."""

    label: str
    value: str
    standard: str
    change: str
    status: Light | None
    note: str = ""  # a burden category's average per community at its baseline and now


BRIEFING_CSS = (
    "<style>"
    + TABLE_RULES
    + """
.briefing-cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 8px; }
.briefing-card { border: 1px solid #ddd; border-left: 6px solid #90a4ae; border-radius: 6px;
  padding: 6px 10px; break-inside: avoid; }
.briefing-card .label { font-size: 0.85rem; color: #444; }
.briefing-card .value { font-size: 1.6rem; font-weight: 600; line-height: 1.2; }
.briefing-card .standard, .briefing-card .change, .briefing-card .note { font-size: 0.75rem;
  color: #555; }
.briefing-headline p { font-size: 1.05rem; font-weight: 600; margin: 0 0 4px; }
.briefing-change { font-size: 0.95rem; margin: 0 0 4px; }
"""
)
BRIEFING_CSS += "".join(
    f".briefing-card.{status} {{ border-left-color: {colour}; }}"
    for status, colour in STATUS_COLOURS.items()
)
BRIEFING_CSS += "</style>"


def cards(context: PageContext) -> list[Card]:
    """Seven KPIs, each with its standard or target: staffing, grids, service premises and the
    main burden categories."""
    scope, settings = context.scope, context.settings
    now = staffing_figures.staffing_total(context.engine, scope, settings)
    before = staffing_figures.staffing_total(context.engine, scope.year_earlier(), settings)
    grids_now = grid_figures.grid_staffing_total(context.engine, scope)
    grids_before = grid_figures.grid_staffing_total(context.engine, scope.year_earlier())
    rooms = premises_figures.premises_total(context.engine, scope, settings)
    rooms_before = premises_figures.premises_total(context.engine, scope.year_earlier(), settings)
    premises_standard = settings.premises_standard_m2_per_100_households

    def change(value: float | None, earlier: float | None, write: Callable[[float], str]) -> str:
        difference = overview_figures.change_between(value, earlier)
        if difference is None:
            return ""
        text = write(difference)
        if not any(digit in text for digit in "123456789"):
            text = write(0.0)  # a change that rounds to zero is no change, not "-0.0"
        return t("briefing.change", change=text)

    def points(change_value: float) -> str:
        return t("kpi.points", value=formatting.signed(change_value * 100, 1))

    villages = int(now["villages"])
    units = assessed_units(int(now["urban_communities"]), villages, settings.villages_assessed)
    result = [
        Card(
            # A card is narrow: the short label where villages exist.
            t("briefing.per_10k_urban" if villages else "kpi.per_10k"),
            fmt_decimal(now["per_10k"]),
            t("briefing.standard", value=fmt_decimal(settings.standard_per_10k, 0)),
            change(now["per_10k"], before["per_10k"], lambda c: formatting.signed(c, 1)),
            light_of("per_10k", now["per_10k"], settings),
        ),
        Card(
            t(f"kpi.share_meeting{units}"),
            fmt_pct(now["share_meeting"]),
            t("briefing.target", value=fmt_pct(settings.target_share_meeting, 0)),
            change(now["share_meeting"], before["share_meeting"], points),
            light_of("share_meeting", now["share_meeting"], settings),
        ),
        Card(
            t("kpi.gap"),
            formatting.count(now["gap"], current_language()),
            t("briefing.target", value="0"),
            change(now["gap"], before["gap"], lambda c: formatting.signed(c)),
            light_of("filled_share", now["filled_share"], settings),
        ),
        Card(
            t("kpi.staffed_rate"),
            fmt_pct(grids_now["staffed_rate"]),
            t("briefing.target", value=fmt_pct(settings.target_staffed_rate, 0)),
            change(grids_now["staffed_rate"], grids_before["staffed_rate"], points),
            light_of("staffed_rate", grids_now["staffed_rate"], settings),
        ),
        Card(
            t("kpi.premises"),
            fmt_decimal(rooms["per_100_households"]),
            t("briefing.standard", value=fmt_decimal(premises_standard, 0)),
            change(
                rooms["per_100_households"],
                rooms_before["per_100_households"],
                lambda c: formatting.signed(c, 1),
            ),
            light_of("per_100_households", rooms["per_100_households"], settings),
        ),
    ]
    # The main burden categories first, then the others, until seven cards are shown.
    categories = tuple(dict.fromkeys([*settings.main_categories, *BURDEN_CATEGORIES]))[:2]
    found = burden_figures.main_reductions(context.engine, scope, settings, categories)
    averages = (
        pd.DataFrame(columns=["category"])
        if scope.level == "community"  # a community's own figures are its averages
        else burden_figures.area_per_community(context.engine, scope, settings)
    ).set_index("category")
    for category, (reduced, reduced_before) in found.items():
        per_community = (
            cast(pd.Series, averages.loc[category]) if category in averages.index else None
        )
        result.append(
            Card(
                t("kpi.reduction", category=t(f"category.{category}")),
                formatting.MISSING if reduced.reduction is None else fmt_pct(reduced.reduction),
                t("briefing.target", value=fmt_pct(settings.target_reduction, 0)),
                change(reduced.reduction, reduced_before.reduction, points),
                light_of("reduction", reduced.reduction, settings),
                per_community_note(per_community) or "",
            )
        )
    return result


def cards_html(shown: list[Card]) -> str:
    """The KPI cards as static HTML, every text escaped; a card's light is its colour and its
    mark and word after the standard."""
    cells = []
    for card in shown:
        status = card.status or "plain"
        standing = card.standard
        if card.status is not None:
            standing += " · " + lights.tag(card.status, t)
        cells.append(
            f'<div class="briefing-card {status}">'
            f'<div class="label">{html.escape(card.label)}</div>'
            f'<div class="value">{html.escape(card.value)}</div>'
            f'<div class="standard">{html.escape(standing)}</div>'
            f'<div class="change">{html.escape(card.change)}</div>'
            + (f'<div class="note">{html.escape(card.note)}</div>' if card.note else "")
            + "</div>"
        )
    return f'<div class="briefing-cards">{"".join(cells)}</div>'


def change_line(context: PageContext) -> str | None:
    """What changed since the month before (the Overview's first line too)."""
    scope = context.scope
    change = overview_figures.month_change(context.engine, scope, context.settings)
    return change_sentence(change, scope.breakdown_level, current_language())


def headline(context: PageContext) -> list[str]:
    """The Overview's headline sentences for the scope."""
    facts = overview_figures.headline_facts(context.engine, context.scope, context.settings)
    return headline_sentences(facts, context.unit_name(context.scope.code), current_language())


def alerts(context: PageContext) -> None:
    """The communities furthest below the standard, then the counts of the other alerts."""
    scope, settings = context.scope, context.settings
    far = staffing_figures.communities_far_below(context.engine, scope, settings)
    rebounds = burden_figures.community_rebounds(context.engine, scope, settings)
    rebounding = overview_figures.rebound_counts(rebounds)
    unstaffed = grid_figures.unstaffed_grids(context.engine, scope)
    total = staffing_figures.staffing_total(context.engine, scope, settings)
    # Villages without a per 10,000 standard of theirs are never far below it.
    urban_only = far_below_units(int(total["villages"]), settings) == "_urban"
    st.subheader(t("briefing.alerts"))
    counts = t(
        "briefing.alert_counts_urban" if urban_only else "briefing.alert_counts",
        far=formatting.integer(len(far)),
        threshold=fmt_decimal(settings.far_below_ratio * settings.standard_per_10k),
        rebounds=formatting.integer(rebounding.communities),
        series=formatting.integer(rebounding.series),
        unstaffed=formatting.integer(len(unstaffed)),
    )
    st.html(f"<p>{html.escape(counts)}</p>")
    if far.empty:
        return
    top = far.head(TOP_ALERTS)  # farthest below its standard first
    # A village (with a village standard) is listed with its own per 10,000 (per_10k_all).
    rates = top["per_10k"].where(top["per_10k"].notna(), top["per_10k_all"])
    shown = pd.DataFrame(
        {
            t("col.name"): top["name"],
            t("briefing.street"): top["code"].str[:9].map(context.unit_name),
            # A village (listed with a village standard) shows its own per 10,000, unlit: the light
            # holds a value to the urban standard.
            t("col.per_10k"): [
                fmt_decimal(rate)
                if formatting.is_missing(urban)
                else lights.marked(fmt_decimal(urban), light_of("per_10k", urban, settings))
                for urban, rate in zip(top["per_10k"], rates, strict=True)
            ],
            t("col.counted_workers"): top["counted_workers"].map(formatting.integer),
            t("col.required"): top["required"].map(formatting.integer),
            t("col.gap"): top["gap"].map(formatting.integer),
        }
    )
    numeric = set(shown.columns[2:])
    st.caption(t("briefing.top_far_below", n=len(top)))
    st.html(table_html(shown, {}, numeric))


def chart(context: PageContext) -> None:
    """The weakest child units per 10,000 against the standard; a community's burden by category."""
    scope, settings = context.scope, context.settings
    language = current_language()
    if scope.level == "community":
        if burden_figures.monthly_series(context.engine, scope).empty:
            return
        rows = burden_figures.area_by_category(context.engine, scope, settings, None, scope.as_of)
        shown = rows.assign(code=rows["category"], name=rows["category"].map(_category_name))
        figure = ranking_bar(
            shown,
            "reduction",
            title=t("briefing.chart_burden", scope=context.unit_name(scope.code)),
            value_label=t("axis.reduction_percent"),
            percent=True,
            language=language,
            rule=rule_of("reduction", settings),
            text=t,
        )
    else:
        units = staffing_figures.staffing_by_unit(context.engine, scope, settings)
        # A column of None (no population anywhere) comes as objects, which nsmallest refuses.
        units = units.assign(per_10k=pd.to_numeric(units["per_10k"]))
        weakest = units.dropna(subset=["per_10k"]).nsmallest(CHART_UNITS, "per_10k")
        figure = ranking_bar(
            weakest,
            "per_10k",
            title=t(
                "briefing.chart_per_10k",
                scope=context.unit_name(scope.code),
                level=t(f"level.{scope.child_level}"),
                n=len(weakest),
            ),
            value_label=t("metric.per_10k"),
            reference=settings.standard_per_10k,
            reference_label=t(
                "overview.standard_line", standard=fmt_decimal(settings.standard_per_10k, 0)
            ),
            language=language,
            rule=rule_of("per_10k", settings),
            text=t,
        )
    figure.update_layout(height=min(figure.layout.height or 300, 380), margin={"t": 40})
    st.plotly_chart(figure, key="briefing_chart")


def _category_name(category: str) -> str:
    return t(f"category.{category}")


def render() -> None:
    context = page_context()
    page_header("page.briefing", context.scope, context.units, context.is_demo)
    stop_if_empty(context.has_data)
    st.html(BRIEFING_CSS)
    st.html('<div class="report-one-page"></div>')  # the renderer fits this page on one sheet
    line = change_line(context)
    if line is not None:
        st.html(f'<p class="briefing-change">{html.escape(line)}</p>')
    sentences = "".join(f"<p>{html.escape(s)}</p>" for s in headline(context))
    st.html(f'<div class="briefing-headline">{sentences}</div>')
    st.html(cards_html(cards(context)))
    st.html(lights.legend_html(lights.entries(t, context.settings.close_ratio)))
    alerts(context)
    chart(context)


render()
