"""A figure shown in several places is one figure: at city, district and street scope of the small
city (tests/small_city.py), the per 10,000, the gap, the communities meeting, the rebounding
communities and the unstaffed grids read from the Overview, the 简报 briefing, the wall screen and
`python -m data_access export` equal the figure functions of data_access/figures.

Each page is run once per scope under AppTest, signed in as an account of that scope (the wall
screen shows no narrower area than a district otherwise, docs/accounts.md), and read from what it
draws: metrics, tab labels, headline sentences, HTML cards and tiles, alert tables and lists.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import formatting, navigation
from dashboard.i18n import load_catalog
from dashboard.navigation import PAGES
from data_access import accounts
from data_access.access import Principal
from data_access.db import make_engine
from data_access.figures import burden as burden_figures
from data_access.figures import grids as grid_figures
from data_access.figures import overview as overview_figures
from data_access.figures import staffing as staffing_figures
from data_access.schema import upgrade
from data_access.scope import Scope
from data_access.settings import get_settings
from tests.small_city import AS_OF, build_small_city
from tests.test_cli_export import run_export
from tests.test_pages import APP, metric_values

pytestmark = pytest.mark.slow  # runs the app under AppTest

ZH = load_catalog("zh")
PASSWORD = "One-figure-pw-42"
# scope: (account, its area (None: the city), the filters that open that area)
SCOPES = {
    "city": ("city_viewer", None, {}),
    "district": ("district_a", "990101", {"district": "990101"}),
    "street": ("east", "990101001", {"district": "990101", "street": "990101001"}),
}


@dataclass(frozen=True)
class Shown:
    """The five figures as one place shows them (text as drawn; counts as numbers)."""

    per_10k: str
    gap: str
    meeting: int  # communities meeting their required headcount
    rebounding: int  # communities with a burden rebound in any category
    unstaffed: int  # grids without a grid worker


@dataclass(frozen=True)
class Figures:
    """What data_access/figures says, and the text of each figure in the pages' formats."""

    total: pd.Series  # staffing.staffing_total
    facts: overview_figures.HeadlineFacts

    def shown(self) -> Shown:
        return Shown(
            per_10k=formatting.decimal(self.total["per_10k"]),
            gap=formatting.count(self.total["gap"], "zh"),
            meeting=int(self.total["communities_meeting"]),
            rebounding=self.facts.rebounding_communities,
            unstaffed=self.facts.unstaffed_grids,
        )


@pytest.fixture(scope="module")
def city_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('one_figure') / 'city.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    build_small_city(engine)
    for name, area, _ in SCOPES.values():
        accounts.add_account(
            engine, name, area or "city", "viewer", PASSWORD, actor=accounts.OPERATOR
        )
    engine.dispose()
    return url


def figures_of(url: str, area: str | None) -> Figures:
    engine = make_engine(url)
    try:
        scope, settings = Scope(area, AS_OF), get_settings()
        total = staffing_figures.staffing_total(engine, scope, settings)
        facts = overview_figures.headline_facts(engine, scope, settings)
        # The figure functions agree with one another before the pages are held to them.
        rebounds = burden_figures.community_rebounds(engine, scope, settings)
        grid_total = grid_figures.grid_staffing_total(engine, scope)
        assert facts.per_10k == total["per_10k"]
        assert facts.gap == total["gap"]
        assert facts.communities_assessed - facts.communities_below == total["communities_meeting"]
        assert facts.rebounding_communities == rebounds["community_code"].nunique()
        assert facts.unstaffed_grids == grid_total["unstaffed_grids"]
        return Figures(total, facts)
    finally:
        engine.dispose()


def run_page(page: str, scope: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """One run of `page` (its url_path) signed in as the scope's account, at the scope's filters."""
    name, area, filters = SCOPES[scope]
    chosen = next(spec for spec in PAGES if spec.url_path == page)
    monkeypatch.setattr(
        navigation, "PAGES", (chosen, *(spec for spec in PAGES if spec is not chosen))
    )
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["_principal"] = Principal(name, area, "viewer")
    at.session_state["_signed_in_at"] = time.time()
    at.session_state["month"] = AS_OF.strftime("%Y-%m")
    for key, value in filters.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception and not at.error, (at.exception, at.error)
    return at


def count_in(text: str, key: str, field: str = "n") -> int | None:
    """The number written for {field} in `text` by the catalog's sentence `key`; None if the
    sentence is not in the text."""
    parts = re.split(r"(\{\w+\})", ZH[key])
    pattern = "".join(
        (r"(?P<value>[\d,]+)" if part == f"{{{field}}}" else ".*?")
        if part.startswith("{")
        else re.escape(part)
        for part in parts
    )
    found = re.search(pattern, text)
    return None if found is None else int(found["value"].replace(",", ""))


def headline_counts(text: str) -> tuple[int | None, int, int]:
    """Communities below their required headcount (None: all meet), rebounding communities and
    unstaffed grids, as the headline (dashboard/headline.py) words them."""
    below = count_in(text, "headline.some_below")
    rebounding = count_in(text, "headline.rebounds")
    if rebounding is None:
        assert ZH["headline.no_rebounds"] in text
    return below, rebounding or 0, count_in(text, "headline.unstaffed") or 0


def html_bodies(at: AppTest) -> list[str]:
    return [element.proto.body for element in at.get("html")]


def labelled(body: str, label_class: str, value_class: str) -> dict[str, str]:
    """label → value of the cards or tiles in an HTML body (the value may carry a style)."""
    pairs = re.findall(
        rf'<div class="{label_class}">([^<]*)</div><div class="{value_class}"[^>]*>([^<]*)</div>',
        body,
    )
    return {html.unescape(label): html.unescape(value) for label, value in pairs}


def overview_shows(at: AppTest, figures: Figures, code: str | None) -> Shown:
    metrics = metric_values(at)
    headline = "".join(text.value for text in at.text)
    below, rebounding, unstaffed = headline_counts(headline)
    assessed = int(figures.total["communities_assessed"])
    meeting = assessed - below if below is not None else count_in(headline, "headline.all_meet")
    assert meeting is not None
    assert metrics[ZH["kpi.share_meeting"]] == formatting.percent(meeting / assessed)
    # The rebound tab counts communities and, apart, the list's community × category rows.
    tabs = [tab.label for tab in at.tabs]
    assert count_in(tabs[1], "alert.rebounds", "communities") == rebounding
    assert count_in(tabs[2], "alert.unstaffed") == unstaffed
    (help_text,) = [m.help for m in at.metric if m.label.endswith(ZH["kpi.staffed_rate"])]
    assert count_in(help_text, "kpi.staffed_rate_help", "unstaffed") == unstaffed
    (rebounds,) = [
        frame.value for frame in at.dataframe if frame.key == f"overview_rebounds_{code or 'city'}"
    ]
    assert rebounds[ZH["col.community_code"]].nunique() == rebounding
    assert count_in(tabs[1], "alert.rebounds", "series") == len(rebounds)
    return Shown(metrics[ZH["kpi.per_10k"]], metrics[ZH["kpi.gap"]], meeting, rebounding, unstaffed)


def briefing_shows(at: AppTest, figures: Figures) -> Shown:
    bodies = html_bodies(at)
    (headline,) = [body for body in bodies if '<div class="briefing-headline">' in body]
    (cards,) = [
        labelled(body, "label", "value")
        for body in bodies
        if '<div class="briefing-cards">' in body
    ]
    below, rebounding, unstaffed = headline_counts(html.unescape(headline))
    (counts,) = [html.unescape(body) for body in bodies if ZH["briefing.alert_counts"][:6] in body]
    assert count_in(counts, "briefing.alert_counts", "rebounds") == rebounding
    assert count_in(counts, "briefing.alert_counts", "unstaffed") == unstaffed
    assessed = int(figures.total["communities_assessed"])
    meeting = assessed - (below or 0)
    assert cards[ZH["kpi.share_meeting"]] == formatting.percent(meeting / assessed)
    return Shown(cards[ZH["kpi.per_10k"]], cards[ZH["kpi.gap"]], meeting, rebounding, unstaffed)


def screen_shows(at: AppTest, figures: Figures) -> Shown:
    bodies = html_bodies(at)
    (tiles,) = [
        labelled(body, "screen-tile-label", "screen-tile-value")
        for body in bodies
        if '<div class="screen-tiles">' in body
    ]
    (alerts,) = [body for body in bodies if '<table class="screen-alerts">' in body]
    totals = {
        kind: int(value)
        for kind, value in re.findall(
            r'screen-alert-total-(\w+)">([\d,]+)<', alerts.replace(",", "")
        )
    }
    # The small city has fewer than ten streets: every street is listed and they add up.
    rows = re.findall(r'<tr class="screen-alert">(.*?)</tr>', alerts)
    counts = [re.findall(r'screen-alert-count">([^<]*)<', row) for row in rows]
    for column, kind in enumerate(totals):
        assert sum(int(c[column]) for c in counts if c[column] != "·") == totals[kind]
    rebounding, unstaffed = totals["rebound"], totals["unstaffed"]
    # The screen writes the share of communities meeting; the count is the figure's.
    assessed = int(figures.total["communities_assessed"])
    share = tiles[ZH["kpi.share_meeting"]]
    (meeting,) = [n for n in range(assessed + 1) if formatting.percent(n / assessed) == share]
    return Shown(tiles[ZH["kpi.per_10k"]], tiles[ZH["kpi.gap"]], meeting, rebounding, unstaffed)


def export_shows(
    area: str | None, url: str, monkeypatch: pytest.MonkeyPatch, capsysbinary
) -> Shown:
    """The scope's row of `export staffing` and `export ranking` (the city: the sum of its
    districts' rows, its per 10,000 the ratio of the sums, docs/metrics.md §2); the rebounding
    communities from `export burden` and the unstaffed grids from `export grids`."""
    level = "district" if area is None or len(area) == 6 else "street"

    def rows(table: str, at_level: str = level) -> list[dict[str, str]]:
        scope = () if area is None else ("--scope", area)
        status, found, err = run_export(
            monkeypatch, capsysbinary, url,
            table, "--level", at_level, *scope, "--as-of", AS_OF.isoformat(),
        )  # fmt: skip
        assert status == 0, err
        return found

    def total(found: list[dict[str, str]], column: str) -> int:
        return sum(int(row[column]) for row in found)

    def per_10k(found: list[dict[str, str]]) -> str:
        if area is not None:
            (row,) = found
            assert row["code"] == area
            return formatting.decimal(float(row["per_10k"]))
        workers, residents = total(found, "counted_workers"), total(found, "resident_population")
        return formatting.decimal(workers / residents * 10_000)

    staffing, ranking = rows("staffing"), rows("ranking")
    assert (per_10k(ranking), total(ranking, "gap")) == (per_10k(staffing), total(staffing, "gap"))
    grids = rows("grids")
    rebounding = {row["code"] for row in rows("burden", "community") if row["rebound"] == "true"}
    return Shown(
        per_10k(staffing),
        formatting.count(total(staffing, "gap"), "zh"),
        total(staffing, "communities_meeting"),
        len(rebounding),
        total(grids, "grids") - total(grids, "staffed_grids"),
    )


# Worked out in tests/small_city.py: 83 / 55,001, 73 / 50,000 and 23 / 14,000 workers per
# residents; the gaps 3 + 1 + 24 and 3 + 1; C4 and C5 meet, C2 misses the minimum of 9; the
# rebounds are C1's and C2's, the grids without a worker C1's third and C2's only one.
EXPECTED = {
    "city": Shown("15.1", "28", 2, 2, 2),
    "district": Shown("14.6", "28", 1, 2, 2),
    "street": Shown("16.4", "4", 0, 2, 2),
}


@pytest.mark.parametrize("scope", SCOPES)
def test_each_figure_is_the_same_on_every_page_and_in_the_export(
    scope, signed_city, monkeypatch, capsysbinary
):
    _, area, _ = SCOPES[scope]
    figures = figures_of(signed_city, area)
    expected = figures.shown()
    assert expected == EXPECTED[scope]
    places = {
        "overview": overview_shows(run_page("overview", scope, monkeypatch), figures, area),
        "briefing": briefing_shows(run_page("briefing", scope, monkeypatch), figures),
        "screen": screen_shows(run_page("screen", scope, monkeypatch), figures),
        "export": export_shows(area, signed_city, monkeypatch, capsysbinary),
    }
    assert places == dict.fromkeys(places, expected)
