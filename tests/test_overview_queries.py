"""Grid staffing and burden figures of the Overview on the small hand-checked city."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from data_access.queries.burden import community_rebounds, monthly_series, reduction_of
from data_access.queries.grids import (
    grid_list,
    grid_staffing_by_unit,
    grid_staffing_total,
    unstaffed_grids,
)
from data_access.queries.hierarchy import data_months, units
from data_access.scope import Scope
from tests.small_city import AS_OF


def test_grid_staffing_counts_active_grid_workers_only(small_city):
    total = grid_staffing_total(small_city, Scope(None, AS_OF))
    assert total["grids"] == 4
    assert total["staffed_grids"] == 2  # 001 full-time, 002 part-time; 003's worker has left
    assert total["fulltime_staffed_grids"] == 1
    assert total["staffed_rate"] == pytest.approx(0.5)
    assert list(unstaffed_grids(small_city, Scope(None, AS_OF))["code"]) == [
        "990101001001003",  # 600 households, listed before the dedicated grid without any
        "990101001002001",
    ]


def test_grid_staffing_by_street_and_grid_list(small_city):
    rows = grid_staffing_by_unit(small_city, Scope("990101", AS_OF)).set_index("code")
    assert rows.loc["990101001", "grids"] == 4
    assert rows.loc["990101001", "staffed_rate"] == pytest.approx(0.5)
    assert "990101002" not in rows.index  # a street without grids has no row
    grids = grid_list(small_city, Scope("990101001001", AS_OF))
    assert list(grids["staffed"]) == [1, 1, 0]
    assert list(grids["fulltime_staffed"]) == [1, 0, 0]


def test_empty_grid_scope_gives_empty_rate(small_city):
    total = grid_staffing_total(small_city, Scope("990102", AS_OF))
    assert total["grids"] == 0
    assert pd.isna(total["staffed_rate"])


def test_burden_reduction_and_rebound_on_summed_series(small_city, settings):
    series = monthly_series(small_city, Scope("990101", AS_OF), ("work_items",))
    assert list(series["value"]) == [100, 80, 60, 50, 40, 60]  # July is after the as-of date
    result = reduction_of(series, AS_OF, settings)
    assert result.baseline_period == dt.date(2025, 1, 1)
    assert result.baseline == 100
    assert result.current_period == dt.date(2025, 6, 1)
    assert result.current == 60
    assert result.reduction_pct == pytest.approx(40.0)
    assert result.window_min == 40
    assert result.rebound is True
    chosen = reduction_of(series, AS_OF, settings, baseline_month=dt.date(2025, 2, 1))
    assert chosen.reduction_pct == pytest.approx(25.0)


def test_zero_baseline_gives_no_reduction(small_city, settings):
    series = monthly_series(small_city, Scope(None, AS_OF), ("forms",))
    result = reduction_of(series, AS_OF, settings)
    assert result.baseline == 0
    assert result.reduction_pct is None


def test_rebound_thresholds(settings):
    series = pd.DataFrame(
        {"period": [dt.date(2025, m, 1) for m in (1, 2, 3)], "value": [50, 40, 43]}
    )
    assert reduction_of(series, AS_OF, settings).rebound is False  # +3 < 10 % of 40
    strict = dataclasses.replace(settings, rebound_min_pct=5.0)
    assert reduction_of(series, AS_OF, strict).rebound is True


def test_community_rebounds(small_city, settings):
    rebounds = community_rebounds(small_city, Scope(None, AS_OF), settings)
    assert list(zip(rebounds["community_code"], rebounds["category"], strict=True)) == [
        ("990101001001", "work_items"),  # 60 against a low of 40
        ("990101001002", "forms"),  # 3 against a low of 0
    ]
    assert list(rebounds["rise"]) == [20, 3]


def test_hierarchy_and_data_months(small_city):
    table = units(small_city)
    assert list(table["level"].value_counts().sort_index()) == [5, 2, 3]
    assert table.set_index("code").loc["990101001", "parent_code"] == "990101"
    assert data_months(small_city) == (dt.date(2025, 1, 1), dt.date(2025, 7, 1))
