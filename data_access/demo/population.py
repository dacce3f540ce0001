"""Phase 2: residents and households per community and year."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from data_access.demo.common import YEARS
from data_access.demo.places import CityPlan


@dataclass
class Population:
    residents: np.ndarray  # (communities, years)
    households: np.ndarray

    @property
    def latest_residents(self) -> np.ndarray:
        return self.residents[:, -1]

    @property
    def latest_households(self) -> np.ndarray:
        return self.households[:, -1]


def plan_population(plan: CityPlan, rng: np.random.Generator) -> Population:
    """Urban 3,000–15,000 residents (a few under 5,000), villages smaller, slow yearly change."""
    n, years = len(plan.community_codes), len(YEARS)
    urban = plan.community_kind == "urban"
    centrality = plan.community_density.argsort().argsort() / max(n - 1, 1)
    urban_base = rng.lognormal(math.log(9_300), 0.30, n) * (0.92 + 0.16 * centrality)
    base = np.where(urban, np.clip(urban_base, 3_000, 14_000), rng.uniform(1_500, 4_800, n))
    growth = np.where(urban, rng.normal(0.011, 0.012, n), rng.normal(-0.006, 0.008, n))
    steps = 1.0 + growth[:, None] + rng.normal(0.0, 0.004, (n, years))
    steps[:, 0] = 1.0
    residents = np.rint(base[:, None] * np.cumprod(steps, axis=1))
    residents = np.where(urban[:, None], np.clip(residents, 3_000, 15_000), residents)
    household_size = rng.uniform(2.6, 2.9, n)[:, None] - 0.006 * np.arange(years)[None, :]
    households = np.rint(residents / household_size)
    return Population(residents.astype(np.int64), households.astype(np.int64))


def population_rows(plan: CityPlan, population: Population) -> list[dict]:
    return [
        {
            "community_code": code,
            "year": year,
            "resident_population": int(population.residents[c, y]),
            "households": int(population.households[c, y]),
        }
        for c, code in enumerate(plan.community_codes)
        for y, year in enumerate(YEARS)
    ]
