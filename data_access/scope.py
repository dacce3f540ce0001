"""A scope: the area chosen (city, district, street or community) and the as-of date (docs/metrics.md §2)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

Level = Literal["city", "district", "street", "community"]

LEVELS: tuple[Level, ...] = ("city", "district", "street", "community")
# The areas a scope can name, from the top: the sidebar filters and URL keys use these names.
AREA_LEVELS: tuple[str, ...] = ("district", "street", "community")
# Codes nest: a unit's code starts with its parent's (统计用区划代码, docs/metrics.md §1).
CODE_LENGTH: dict[str, int] = {"district": 6, "street": 9, "community": 12, "grid": 15}
CHILD_LEVEL: dict[str, str] = {
    "city": "district",
    "district": "street",
    "street": "community",
    "community": "grid",
}
PARENT_LEVEL: dict[str, str] = {child: parent for parent, child in CHILD_LEVEL.items()}
_SCOPE_LEVEL_OF_LENGTH: dict[int, Level] = {6: "district", 9: "street", 12: "community"}
_CODE = re.compile(r"^[0-9]{6}([0-9]{3}){0,3}$")


def level_of_code(code: str) -> str:
    """The level a code belongs to from its length; ValueError when it is not a unit code."""
    if not _CODE.match(code):
        raise ValueError(f"not a unit code: {code!r}")
    return {length: level for level, length in CODE_LENGTH.items()}[len(code)]


def ancestors(code: str) -> dict[str, str]:
    """The codes of the district, street and community holding `code`, the code itself included
    (a grid's chain ends at its community)."""
    length = len(code) if level_of_code(code) != "grid" else CODE_LENGTH["community"]
    return {
        level: code[: CODE_LENGTH[level]] for level in AREA_LEVELS if CODE_LENGTH[level] <= length
    }


def consistent_area(
    values: Mapping[str, str | None], known: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """The district, street and community values that name real units in one chain, with any
    missing parents filled in, and the rejected values as "key=value".

    `known` maps each unit code to its level. A value is kept when it names a unit of its own
    level inside the value kept above it; a street or community given without its parents
    brings them along. The URL check and the sidebar's check both use this.
    """
    chain: dict[str, str] = {}
    rejected: list[str] = []
    parent = ""
    for key in AREA_LEVELS:
        value = values.get(key)
        if not value:
            continue
        if known.get(value) == key and value.startswith(parent):
            chain[key] = parent = value
        else:
            rejected.append(f"{key}={value}")
    if parent:  # the deepest value kept brings its parents, which its code starts with
        chain = {key: code for key, code in ancestors(parent).items() if known.get(code) == key}
    return chain, rejected


@dataclass(frozen=True)
class Scope:
    """The most specific code chosen (None = the whole city) and the as-of date."""

    code: str | None
    as_of: dt.date

    def __post_init__(self) -> None:
        if self.code is not None and level_of_code(self.code) == "grid":
            raise ValueError("a scope is a district, street or community")

    @property
    def level(self) -> Level:
        return "city" if self.code is None else _SCOPE_LEVEL_OF_LENGTH[len(self.code)]

    @property
    def child_level(self) -> str:
        return CHILD_LEVEL[self.level]

    @property
    def breakdown_level(self) -> str:
        """The level a scope's rankings and tables list: its children, or at community scope the
        community itself (its grids have pages of their own)."""
        return "community" if self.level == "community" else self.child_level

    @property
    def child_code_length(self) -> int:
        return CODE_LENGTH[self.child_level]

    def year_earlier(self) -> Scope:
        """The same area a year before (29 February falls back to the 28th)."""
        try:
            as_of = self.as_of.replace(year=self.as_of.year - 1)
        except ValueError:
            as_of = self.as_of.replace(year=self.as_of.year - 1, day=28)
        return replace(self, as_of=as_of)

    def code_range(self) -> tuple[str, str] | None:
        """Lower and upper bound of every code under this scope, for index-friendly prefix filters."""
        # ':' sorts right after '9', so [code, code + ':') holds exactly the codes starting with code.
        return None if self.code is None else (self.code, self.code + ":")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` after day's month (negative goes back)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    """The last day of day's month: the as-of date of a chosen month."""
    return add_months(day, 1) - dt.timedelta(days=1)
