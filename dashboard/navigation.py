"""The registered pages, in menu order: app.py builds the navigation from this list."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str
    title_key: str
    icon: str
    url_path: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/overview.py", "page.overview", ":material/dashboard:", "overview"),
    PageSpec("pages/staffing.py", "page.staffing", ":material/groups:", "staffing"),
    PageSpec("pages/data.py", "page.data", ":material/upload_file:", "data"),
    PageSpec("pages/grids.py", "page.grids", ":material/map:", "grids"),
    PageSpec("pages/burden.py", "page.burden", ":material/trending_down:", "burden"),
)
