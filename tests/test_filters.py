"""Filter state: URL values validated against the units, drill-down targets, month lists."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.filters import filter_state_for, month_options, validated_url_state
from data_access.scope import Scope, ancestors, level_of_code

UNITS = pd.DataFrame(
    {
        "code": ["990101", "990102", "990101001", "990102001", "990101001001"],
        "name": ["甲区", "乙区", "东街道", "南街道", "一社区"],
        "level": ["district", "district", "street", "street", "community"],
        "parent_code": [None, None, "990101", "990102", "990101001"],
    }
)
MONTHS = ["2025-06", "2025-05"]


def test_valid_url_values_are_kept():
    state, rejected = validated_url_state(
        {"district": "990101", "street": "990101001", "month": "2025-05", "lang": "en"},
        UNITS,
        MONTHS,
    )
    assert state == {"district": "990101", "street": "990101001", "month": "2025-05", "lang": "en"}
    assert rejected == []


def test_unknown_or_inconsistent_url_values_are_rejected():
    state, rejected = validated_url_state(
        {
            "district": "990102",
            "street": "990101001",  # exists, but not in district 990102
            "community": "1; DROP TABLE x",
            "month": "1999-01",
            "lang": "fr",
        },
        UNITS,
        MONTHS,
    )
    assert state == {"district": "990102"}
    assert rejected == [
        "street=990101001",
        "community=1; DROP TABLE x",
        "month=1999-01",
        "lang=fr",
    ]


def test_filter_state_for_each_level():
    assert filter_state_for("990101001001", UNITS) == {
        "district": "990101",
        "street": "990101001",
        "community": "990101001001",
    }
    assert filter_state_for("990102", UNITS) == {
        "district": "990102",
        "street": None,
        "community": None,
    }
    assert filter_state_for(None, UNITS) == {"district": None, "street": None, "community": None}
    with pytest.raises(ValueError):
        filter_state_for("990103", UNITS)


def test_month_options_newest_first():
    assert month_options(dt.date(2024, 11, 1), dt.date(2025, 2, 1)) == [
        "2025-02",
        "2025-01",
        "2024-12",
        "2024-11",
    ]
    assert month_options(None, None) == []


def test_a_street_or_community_without_its_parents_brings_them():
    state, rejected = validated_url_state({"street": "990101001"}, UNITS, MONTHS)
    assert state == {"district": "990101", "street": "990101001"}
    assert rejected == []
    state, rejected = validated_url_state({"community": "990101001001"}, UNITS, MONTHS)
    assert state == {"district": "990101", "street": "990101001", "community": "990101001001"}
    state, rejected = validated_url_state(
        {"district": "990102", "community": "990101001001"}, UNITS, MONTHS
    )
    assert state == {"district": "990102"}
    assert rejected == ["community=990101001001"]


def test_hierarchy_model():
    assert ancestors("990101001001") == {
        "district": "990101",
        "street": "990101001",
        "community": "990101001001",
    }
    assert ancestors("990101001001007") == ancestors("990101001001")
    assert ancestors("990102") == {"district": "990102"}
    assert level_of_code("990101001") == "street"
    assert Scope("990101001001", dt.date(2025, 6, 30)).breakdown_level == "community"
    assert Scope("990101001", dt.date(2025, 6, 30)).breakdown_level == "community"
    assert Scope(None, dt.date(2025, 6, 30)).breakdown_level == "district"
    assert filter_state_for("990101001001007", UNITS)["community"] == "990101001001"
