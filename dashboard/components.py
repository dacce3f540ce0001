"""Shared page furniture: headers, the demo label, KPI cards and the empty-database message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pandas as pd
import streamlit as st

from dashboard import formatting, lights, palette
from dashboard.i18n import fmt_decimal, fmt_month, is_missing, t
from dashboard.plain import t_plain
from dashboard.ready import stop_page
from dashboard.report import is_report
from data_access.figures.overview import change_between
from data_access.lights import Light, light_of
from data_access.scope import Scope
from data_access.settings import Settings


def signed_int(change: float) -> str:
    """A change in a count, e.g. +1,234."""
    return formatting.signed(change)


def signed_decimal(change: float) -> str:
    """A change in a ratio shown with one decimal, e.g. +0.3."""
    return formatting.signed(change, 1)


def signed_points(change: float) -> str:
    """A change in a 0–1 rate, in percentage points."""
    return t("kpi.points", value=formatting.signed(change * 100, 1))


@dataclass(frozen=True)
class Kpi:
    """One KPI card: label, current value, value a year earlier and how to format them."""

    key: str
    label: str
    value: object
    year_earlier: object = None
    fmt: Callable[[object], str] = str
    delta_fmt: Callable[[float], str] | None = None
    higher_is_better: bool | None = True  # None: a change is neither good nor bad
    help: str | None = None
    compared_with: str | None = None  # what the change is against; default a year earlier
    status: Light | None = (
        None  # data_access/lights.py against its standard or target; None: not judged
    )
    note: str | None = None  # one short line under the card (e.g. a burden's per-community figures)

    def change(self) -> float | None:
        """Value minus the value a year earlier, when both are known and a change is shown."""
        if self.delta_fmt is None:
            return None
        return change_between(self.value, self.year_earlier)


def per_community_note(figures: pd.Series | None) -> str | None:
    """ "每社区 164.9 → 56.1": a burden category's average per community at its baseline and now,
    from a row of data_access/figures/burden.py:area_per_community; None without a row or where
    neither is known."""
    if figures is None:
        return None
    baseline = figures.get("baseline_per_community")
    current = figures.get("current_per_community")
    if is_missing(baseline) and is_missing(current):
        return None
    digits = formatting.METRIC_DECIMALS["per_community"]
    return t(
        "burden.per_community",
        baseline=formatting.decimal(baseline, digits),
        current=formatting.decimal(current, digits),
    )


def per_community_help(figures: pd.Series | None) -> str:
    """How per_community_note's figures are made, with the communities counted; "" without them."""
    if per_community_note(figures) is None or figures is None:
        return ""
    return t(
        "burden.per_community_help",
        baseline_n=formatting.integer(figures.get("baseline_communities")),
        current_n=formatting.integer(figures.get("current_communities")),
    )


def categories_without_data(categories: list[str], as_of: dt.date) -> None:
    """The burden categories without data up to the as-of month named in one line, where a chart
    would draw them as empty panels (nothing when every category has data)."""
    if categories:
        names = t("burden.category_separator").join(t(f"category.{c}") for c in categories)
        st.caption(t("burden.no_data_categories", month=fmt_month(as_of), categories=names))


def per_10k_kpi(now: pd.Series, before: pd.Series, scope: Scope, settings: Settings) -> Kpi:
    """The per-10,000 card of the Overview and the Staffing page (staffing_total now and a year
    earlier): urban communities against the standard; a village's own figure, not judged."""
    standard = fmt_decimal(settings.standard_per_10k, 0)
    villages = int(now["villages"])
    if scope.level == "community" and villages:
        return Kpi(
            "per_10k",
            t("kpi.per_10k_village"),
            now["per_10k_all"],
            before["per_10k_all"],
            fmt_decimal,
            signed_decimal,
            help=t("kpi.per_10k_village_help", standard=standard),
        )
    return Kpi(
        "per_10k",
        t("kpi.per_10k_urban" if villages else "kpi.per_10k"),
        now["per_10k"],
        before["per_10k"],
        fmt_decimal,
        signed_decimal,
        help=t("kpi.per_10k_help", standard=standard),
        status=light_of("per_10k", now["per_10k"], settings),
    )


def scope_name(scope: Scope, units: pd.DataFrame) -> str:
    """The chosen area's name, or the whole city."""
    if scope.code is None:
        return t("scope.city")
    names = dict(zip(units["code"].tolist(), units["name"].tolist(), strict=True))
    return names.get(scope.code, scope.code)


def page_header(title_key: str, scope: Scope, units: pd.DataFrame, is_demo: bool) -> None:
    """Title, scope and date of a page; on the demo city, the label saying so (a report says it
    in the header of every printed page instead)."""
    if is_demo and not is_report():
        demo_label()
    st.title(t(title_key))
    st.caption(
        t_plain(
            "header.scope",
            scope=scope_name(scope, units),
            level=t(f"level.{scope.level}"),
            month=fmt_month(scope.as_of),
        )
    )


def demo_label() -> None:
    st.info(t("demo.label"), icon=":material/science:")


def stop_if_empty(has_data: bool) -> None:
    """An empty database gets a clear message and the page stops there."""
    if not has_data:
        st.info(t("db.empty"), icon=":material/inventory_2:")
        stop_page()


def kpi_row(kpis: list[Kpi], columns: int = 4) -> None:
    for start in range(0, len(kpis), columns):
        cells = st.columns(columns)
        for column, kpi in zip(cells, kpis[start : start + columns], strict=False):
            # A keyed container gets the CSS class st-key-<key>, which STATUS_CSS colours.
            cell = column.container(key=f"kpi-{kpi.status or 'plain'}-{kpi.key}")
            change = kpi.change()
            delta = None if change is None or kpi.delta_fmt is None else kpi.delta_fmt(change)
            # A change that rounds to zero at the shown precision is shown as no change.
            unchanged = delta is not None and not any(digit in delta for digit in "123456789")
            if unchanged and kpi.delta_fmt is not None:
                delta = kpi.delta_fmt(0.0)
            cell.metric(
                # The mark tells the light without its colour (dashboard/lights.py).
                f"{lights.mark(kpi.status)} {kpi.label}" if kpi.status else kpi.label,
                kpi.fmt(kpi.value),
                delta=delta,
                delta_description=None
                if change is None
                else kpi.compared_with or t("kpi.vs_year_earlier"),
                delta_color=_delta_colour(kpi, unchanged),
                delta_arrow="off" if unchanged else "auto",
                help=kpi.help,
                border=True,
            )
            if kpi.note:
                cell.caption(kpi.note)


def _delta_colour(kpi: Kpi, unchanged: bool) -> Literal["normal", "inverse", "off"]:
    if unchanged or kpi.higher_is_better is None:
        return "off"
    return "normal" if kpi.higher_is_better else "inverse"


STATUS_COLOURS = palette.STATUS
STATUS_CSS = (
    "<style>"
    + "".join(
        f'div[class*="st-key-kpi-{status}-"] [data-testid="stMetric"] '
        f"{{border-left: 6px solid {colour};}}"
        f'div[class*="st-key-legend-{status}"] p::before '
        f'{{content: "■ "; color: {colour};}}'
        for status, colour in STATUS_COLOURS.items()
    )
    + '.st-key-headline [data-testid="stText"] {font-size: 1.15rem; font-weight: 600;}</style>'
)


def status_style() -> None:
    """The colours of the KPI cards' lights and of the headline (fixed CSS, no data in it)."""
    st.html(STATUS_CSS)


def status_legend(close_ratio: float) -> None:
    """What the cards' lights mean, with the threshold of "close" from the settings; drawn right
    under the cards it explains."""
    row = st.container(horizontal=True, gap="medium", key="light-legend")
    for status, entry in lights.entries(t, close_ratio):
        with row.container(key=f"legend-{status}", width="content"):
            st.caption(entry)
