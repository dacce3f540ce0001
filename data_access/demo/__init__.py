"""The deterministic demo city 示范市: boundaries, residents, grids, staff, facilities and burden records.

Every number is drawn from ``numpy.random.default_rng(seed)``, so one seed and scale give the
same rows every time, and the data end at DEMO_LAST_MONTH, never at today's date. The figures
are calibrated to the seed documents (docs/metrics.md §3–§5): 18 workers per 10,000 residents, 300–500
households per grid, work items 165 → 56, forms 181 → 35 and so on.

One module per thing made: names and boundaries (places), population, grids, staff,
facilities, burden, and the writing that puts them into a database in one transaction.
"""

from data_access.demo.boundaries import area_km2
from data_access.demo.common import DEMO_CITY_NAME, DEMO_FIRST_MONTH, DEMO_LAST_MONTH, DemoSummary
from data_access.demo.writing import build_demo

__all__ = [
    "DEMO_CITY_NAME",
    "DEMO_FIRST_MONTH",
    "DEMO_LAST_MONTH",
    "DemoSummary",
    "area_km2",
    "build_demo",
]
