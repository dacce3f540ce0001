"""The one traffic light (docs/metrics.md §8): how a value stands against its standard or target.

    meets  value ≥ target
    close  close_ratio × target ≤ value < target      (setting close_ratio, 0.9)
    below  value < close_ratio × target

Every card, chart bar, table cell, map class, the wall screen, the briefing and the month's
changes ask `light` (through `LightRule`); dashboard/lights.py gives each state its colour, mark
and words. A measure where lower is better is judged by its complement (the staff gap by the
share of the required posts that are filled, `filled_share`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, SupportsFloat, cast

import pandas as pd

from data_access.settings import Settings

Light = Literal["meets", "close", "below"]
LIGHTS: tuple[Light, ...] = ("meets", "close", "below")
# Only float noise (a ratio of sums or 0.9 × a target a few units in the last place off) is
# forgiven at a boundary: 16.2 − 1e-9 is below 0.9 × 18.
_TOLERANCE = 1e-12


def light(value: object, target: float, close_ratio: float) -> Light | None:
    """meets (≥ target), close (≥ close_ratio × target) or below; None for a missing value."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    number = float(cast(SupportsFloat, value))
    if math.isnan(number):
        return None
    slack = _TOLERANCE * max(1.0, abs(target))
    if number >= target - slack:
        return "meets"
    return "close" if number >= close_ratio * target - slack else "below"


@dataclass(frozen=True)
class LightRule:
    """A standard or target and the close ratio: the light of one measure."""

    target: float
    close_ratio: float

    @property
    def close_from(self) -> float:
        """The lowest value still close to the target."""
        return self.close_ratio * self.target

    def of(self, value: object) -> Light | None:
        return light(value, self.target, self.close_ratio)


def target_of(measure: str, settings: Settings) -> float | None:
    """The standard or target a measure (a figure's column name) is held to; None: not judged."""
    premises = settings.premises_standard_m2_per_100_households
    targets: dict[str, float] = {
        "per_10k": settings.standard_per_10k,
        "share_meeting": settings.target_share_meeting,
        "filled_share": 1.0,  # the staff gap: every required post filled
        "staffed_rate": settings.target_staffed_rate,
        "household_coverage": settings.target_grid_coverage,
        "spatial_coverage": settings.target_grid_coverage,
        "reduction": settings.target_reduction,
        "per_100_households": premises,
        "premises": premises,  # the map's name of per_100_households
        "elderly_per_100_households": settings.elderly_premises_standard_m2_per_100_households,
        "on_time_share": settings.target_on_time_share,
    }
    return targets.get(measure)


def rule_of(measure: str, settings: Settings) -> LightRule | None:
    """The light rule of a measure, None when it has no standard or target."""
    target = target_of(measure, settings)
    return None if target is None else LightRule(target, settings.close_ratio)


def light_of(measure: str, value: object, settings: Settings) -> Light | None:
    """The light of `value` of `measure`; None when missing or when the measure is not judged."""
    rule = rule_of(measure, settings)
    return None if rule is None else rule.of(value)


def judged_measures(settings: Settings) -> dict[str, LightRule]:
    """Every measure with a standard or target and its rule (the tables' lit columns)."""
    names = (
        "per_10k", "share_meeting", "filled_share", "staffed_rate", "household_coverage",
        "spatial_coverage", "reduction", "per_100_households", "elderly_per_100_households",
        "on_time_share",
    )  # fmt: skip
    return {name: cast(LightRule, rule_of(name, settings)) for name in names}
