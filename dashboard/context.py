"""What app.py hands every page: the database, the scope, the units and the settings."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from dashboard.compat import take_pages_directory_flag
from dashboard.formatting import month_file_label
from dashboard.i18n import current_language, fmt_day, fmt_month, load_catalog, t, translate
from data_access.access import OPEN_ACCESS, Principal
from data_access.db import get_engine
from data_access.dissolution import units_on
from data_access.files import safe_file_stem
from data_access.scope import Scope
from data_access.settings import Settings

_KEY = "_page_context"


@dataclass(frozen=True)
class PageContext:
    url: str
    scope: Scope
    units: pd.DataFrame
    settings: Settings
    is_demo: bool
    has_data: bool
    principal: Principal = OPEN_ACCESS

    @cached_property
    def engine(self) -> Engine:
        """The engine every figure of the page is read with (data_access/figures)."""
        return get_engine(self.url)

    @cached_property
    def units_in_force(self) -> pd.DataFrame:
        """The units in force on the as-of date (data_access/dissolution.py:units_on): what the
        page lists; `units` holds the dissolved ones too, for their names."""
        return units_on(self.units, self.scope.as_of)

    @cached_property
    def _names(self) -> dict[str, str]:
        # Built once per run: pages look names up once per listed unit.
        return dict(zip(self.units["code"].tolist(), self.units["name"].tolist(), strict=True))

    def unit_name(self, code: str | None) -> str:
        if code is None:
            return t("scope.city")
        return self._names.get(code, code)

    def filters_used(self) -> dict[str, str]:
        """The filters of the view, for the filters sheet of an export."""
        filters = {t("filter.scope"): self.unit_name(self.scope.code)}
        if self.scope.code:
            filters[t("filter.code")] = self.scope.code
        filters[t("filter.month")] = fmt_month(self.scope.as_of)
        filters[t("filter.as_of_date")] = fmt_day(self.scope.as_of)
        if self.is_demo:
            filters[t("filter.data")] = t("demo.short")
        return filters

    def file_stem(self, name: str) -> str:
        """A file name in the UI language: what, area and month, e.g. 队伍配备_东湖区_2026年10月."""
        language = current_language()
        what = next(
            (
                translate(language, key)
                for key in (f"file.{name}", f"page.{name}")
                if key in load_catalog(language)
            ),
            name,
        )
        area = self.unit_name(self.scope.code)
        return safe_file_stem(f"{what}_{area}_{month_file_label(self.scope.as_of, language)}")


def set_page_context(context: PageContext) -> None:
    st.session_state[_KEY] = context


def page_context() -> PageContext:
    """The context app.py stored in this run; reruns through app.py when the page runs on its own."""
    if take_pages_directory_flag():
        # The page file ran without app.py (dashboard/compat.py): run again through app.py.
        st.rerun()
    return st.session_state[_KEY]
