"""Staffing metrics of docs/metrics.md §3 on the small hand-checked city (see tests/small_city.py)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from sqlalchemy import select

from data_access.db import read_frame
from data_access.figures.staffing import largest_gap_first, licensed_by_certificate
from data_access.queries.staffing import (
    certificate_counts,
    communities_far_below,
    population_in_force,
    staffing_by_unit,
    staffing_total,
)
from data_access.scope import Scope
from tests.small_city import AS_OF


def by_code(frame):
    return frame.set_index("code")


def test_community_rows_apply_population_year_minimum_and_dates(small_city, settings):
    rows = by_code(staffing_by_unit(small_city, Scope(None, AS_OF), settings, level="community"))
    assert rows.loc["990101001001", "resident_population"] == 10000  # 2025, not 2026
    assert rows.loc["990101001001", "counted_workers"] == 15
    assert rows.loc["990101001001", "required"] == 18
    assert rows.loc["990101001002", "resident_population"] == 4000  # latest year ≤ as-of is 2024
    assert rows.loc["990101001002", "per_10k"] == pytest.approx(20.0)
    assert rows.loc["990101001002", "required"] == 9  # minimum beats ceil(7.2) = 8
    assert rows.loc["990101001002", "communities_meeting"] == 0
    assert rows.loc["990101002002", "required"] == 11
    assert rows.loc["990102001001", "required"] == 10  # ceil(9.0018)
    assert rows.loc["990102001001", "communities_meeting"] == 1
    assert list(rows["gap"]) == [3, 1, 24, 0, 0]
    assert list(rows["net_gap"]) == [3, 1, 24, -9, 0]


def test_population_in_force_is_the_latest_year_up_to_the_as_of_date_on_every_database(
    small_city,
):
    population = population_in_force(Scope(None, AS_OF))
    rows = read_frame(small_city, select(population)).set_index("community_code")
    assert rows.index.is_unique
    assert rows.loc["990101001001", "resident_population"] == 10000  # 2025, not 2026
    assert rows.loc["990101001002", "resident_population"] == 4000  # 2024, none in 2025
    # Each database is given the form its planner answers quicker (docs/benchmarks.md).
    compiled = str(select(population).compile(dialect=small_city.dialect))
    anti_join, grouped = "later_year" in compiled, "latest_year" in compiled
    assert (anti_join, grouped) == (
        (True, False) if small_city.dialect.name == "postgresql" else (False, True)
    )


def test_street_per_10k_is_ratio_of_sums_not_mean_of_ratios(small_city, settings):
    rows = by_code(staffing_by_unit(small_city, Scope("990101", AS_OF), settings))
    assert list(rows.index) == ["990101001", "990101002"]
    assert rows.loc["990101001", "name"] == "东街道"
    assert rows.loc["990101001", "per_10k"] == pytest.approx(23 / 14000 * 10000)
    assert rows.loc["990101001", "per_10k"] != pytest.approx(17.5)
    assert rows.loc["990101001", "gap"] == 4


def test_unit_gap_sums_positive_community_gaps_and_net_gap_nets(small_city, settings):
    street = by_code(staffing_by_unit(small_city, Scope("990101", AS_OF), settings))
    assert street.loc["990101002", "gap"] == 24  # C4's surplus of 9 does not fill C3's gap
    assert street.loc["990101002", "net_gap"] == 15
    district = by_code(staffing_by_unit(small_city, Scope(None, AS_OF), settings))
    assert district.loc["990101", "gap"] == 28
    assert district.loc["990101", "net_gap"] == 19
    assert district.loc["990101", "per_10k"] == pytest.approx(14.6)
    assert district.loc["990101", "share_meeting"] == pytest.approx(1 / 4)


def test_city_total(small_city, settings):
    total = staffing_total(small_city, Scope(None, AS_OF), settings)
    assert total["communities"] == 5
    assert total["resident_population"] == 55001
    assert total["counted_workers"] == 83
    assert total["per_10k"] == pytest.approx(83 / 55001 * 10000)
    assert total["required"] == 18 + 9 + 54 + 11 + 10
    assert total["gap"] == 28
    assert total["share_meeting"] == pytest.approx(2 / 5)
    assert total["licensed_workers"] == 5 + 3 + 10 + 7 + 4
    assert total["licensed_rate"] == pytest.approx(29 / 83)


def test_edges_of_dates_and_roles(small_city, settings):
    # C1 has 15 counted: one starting on the as-of date and one leaving the day after count;
    # one leaving on the as-of date, one starting after it, public welfare, temporary and
    # part-time grid workers do not.
    total = staffing_total(small_city, Scope("990101001001", AS_OF), settings)
    assert total["counted_workers"] == 15
    a_day_before = staffing_total(
        small_city, Scope("990101001001", AS_OF.replace(day=29)), settings
    )
    assert a_day_before["counted_workers"] == 15 - 1 + 1  # the newcomer is out, the leaver in


def test_grid_fulltime_setting(small_city, settings):
    without = dataclasses.replace(settings, count_grid_fulltime=False)
    total = staffing_total(small_city, Scope("990101001001", AS_OF), without)
    assert total["counted_workers"] == 14


def test_unknown_population_leaves_required_empty(small_city, settings):
    scope = Scope("990101001002", AS_OF.replace(year=2023))  # C2's first population year is 2024
    total = staffing_total(small_city, scope, settings)
    assert total["communities_assessed"] == 0
    assert total["counted_workers"] == 8
    assert pd.isna(total["per_10k"])
    assert pd.isna(total["required"])
    assert pd.isna(total["share_meeting"])


def test_communities_far_below(small_city, settings):
    far = communities_far_below(small_city, Scope(None, AS_OF), settings)
    assert list(far["code"]) == ["990101002001"]  # 10 per 10,000 < 0.8 × 18 = 14.4


def test_staffing_lists_largest_gap_first_and_licensed_by_level(small_city, settings):
    city = Scope(None, AS_OF)
    communities = staffing_by_unit(small_city, city, settings, level="community")
    ordered = largest_gap_first(communities)
    assert list(zip(ordered["code"], ordered["gap"], strict=True)) == [
        ("990101002001", 24),
        ("990101001001", 3),
        ("990101001002", 1),
        ("990101002002", 0),  # 9 above its required headcount: no gap, by code among the 0s
        ("990102001001", 0),
    ]
    # Worker i of a community holds a junior certificate when i % 3 == 0: 29 in the city.
    licensed = licensed_by_certificate(certificate_counts(small_city, city, settings))
    assert licensed == {"junior": 29, "intermediate": 0, "senior": 0}
