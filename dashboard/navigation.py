"""The registered pages, in menu order: app.py builds the navigation from this list."""

from __future__ import annotations

from dataclasses import dataclass

# The section of the menu a page is in: the leader's pages first, without a heading, then 管理.
MAIN_SECTION = ""
ADMIN_SECTION = "admin"
SCREEN_SECTION = "screen"  # the wall screen, apart from the pages read at a desk


@dataclass(frozen=True)
class PageSpec:
    path: str
    title_key: str
    icon: str
    url_path: str
    section: str = MAIN_SECTION


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/overview.py", "page.overview", ":material/dashboard:", "overview"),
    PageSpec("pages/staffing.py", "page.staffing", ":material/groups:", "staffing"),
    PageSpec("pages/planner.py", "page.planner", ":material/calculate:", "planner"),
    PageSpec("pages/burden.py", "page.burden", ":material/trending_down:", "burden"),
    PageSpec("pages/grids.py", "page.grids", ":material/map:", "grids"),
    PageSpec("pages/profile.py", "page.profile", ":material/home_work:", "profile"),
    PageSpec("pages/admission.py", "page.admission", ":material/checklist:", "admission"),
    PageSpec("pages/briefing.py", "page.briefing", ":material/summarize:", "briefing"),
    PageSpec("pages/data.py", "page.data", ":material/upload_file:", "data", ADMIN_SECTION),
    PageSpec("pages/screen.py", "page.screen", ":material/tv:", "screen", SCREEN_SECTION),
)


# One entry in the browser's history per drill step. st.switch_page with new query parameters
# makes two: the old page with the new parameters, a view nobody saw, then the new page; so a
# change of page that follows a change of the parameters alone within HISTORY_MERGE_MS takes
# that entry's place instead of adding one. Fixed text, no data (docs/security.md).
HISTORY_MERGE_MS = 2000
HISTORY_SCRIPT = (
    "<script>(() => {"
    "const h = window.history;"
    "if (h.__oneEntryPerStep) return;"
    "h.__oneEntryPerStep = true;"
    "const push = h.pushState.bind(h), replace = h.replaceState.bind(h);"
    "let paramsOnly = 0;"
    "h.pushState = function (state, unused, url) {"
    "const samePage = new URL(url, location.href).pathname === location.pathname;"
    "const now = Date.now();"
    f"if (!samePage && now - paramsOnly < {HISTORY_MERGE_MS}) {{"
    "paramsOnly = 0; return replace(state, unused, url); }"
    "paramsOnly = samePage ? now : 0;"
    "return push(state, unused, url);"
    "};"
    "})();</script>"
)
