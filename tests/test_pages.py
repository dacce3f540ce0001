"""Every registered page under AppTest, in both languages, on a full and on an empty database."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from dashboard import navigation
from dashboard.formatting import MISSING
from dashboard.i18n import load_catalog
from dashboard.lights import MARKS
from dashboard.navigation import PAGES, PageSpec
from data_access.db import make_engine
from data_access.demo.common import DEMO_CITY_NAME
from data_access.queries.hierarchy import units
from tests.page_text import page_texts, slips

pytestmark = pytest.mark.slow  # every test here runs the app under AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def run_app(
    url: str, monkeypatch: pytest.MonkeyPatch, page: str | None = None, **state: object
) -> AppTest:
    """One AppTest and one run per scenario: filters go into session state before it (docs/architecture.md §10).

    AppTest drops what app.py draws (sidebar, demo label) from every run after the first, so a
    page other than the first is made the default page for the test instead of switched to.
    """
    monkeypatch.setenv("DATABASE_URL", url)
    if page is not None:
        chosen = next(spec for spec in PAGES if spec.path == page)
        reordered = (chosen, *(spec for spec in PAGES if spec is not chosen))
        monkeypatch.setattr(navigation, "PAGES", reordered)
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    return at


def screen_header(at: AppTest) -> str:
    (header,) = [
        e.proto.body for e in at.get("html") if '<div class="screen-header">' in e.proto.body
    ]
    return header


def assert_title(at: AppTest, spec: PageSpec, lang: str, area: str) -> None:
    """The page's title; the wall screen's is the name of the area it shows (docs/operations.md)."""
    if spec.url_path == "screen":
        assert f'<span class="screen-scope">{area}</span>' in screen_header(at)
    else:
        assert at.title[0].value == load_catalog(lang)[spec.title_key]


def metric_values(at: AppTest) -> dict[str, str]:
    """Each card's value by its label (without the mark of its light: metric_lights)."""
    return {_unmarked(metric.label): metric.value for metric in at.metric}


def metric_lights(at: AppTest) -> dict[str, str | None]:
    """Each card's light by its label, read from the mark in front of it (dashboard/lights.py)."""
    states = {mark: state for state, mark in MARKS.items()}
    return {_unmarked(m.label): states.get(m.label.split(" ", 1)[0]) for m in at.metric}


def _unmarked(label: str) -> str:
    mark, _, rest = label.partition(" ")
    return rest if mark in MARKS.values() else label


DEMO_SCOPES = {
    "city": {},
    "district": {"district": "990101"},
    "street": {"district": "990101", "street": "990101001"},
    "community": {"district": "990101", "street": "990101001", "community": "990101001001"},
}


# On PostgreSQL and MariaDB a page runs only in the cases its `servers` marker lists (see
# tests/conftest.py): the pages' code is the same on every backend, and the queries' differences
# are tested on every backend by the query tests.
@pytest.mark.servers({"lang": "zh"})
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.url_path)
def test_page_runs_on_small_city(spec, lang, small_city_url, monkeypatch):
    at = run_app(small_city_url, monkeypatch, page=spec.path, lang=lang)
    assert not at.exception
    assert_title(at, spec, lang, load_catalog(lang)["scope.city"])
    # A missing cell of any table reads "—", as everywhere else (docs/formatting.md), not "None".
    placeholders = [frame.proto.placeholder for frame in at.dataframe]
    assert placeholders == [MISSING] * len(placeholders)
    if spec.url_path in ("overview", "staffing", "grids", "burden", "planner"):
        assert placeholders, f"{spec.url_path} shows no table at city scope"


def keep_downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The files a run offers for download, by file name, to be made when the test asks."""
    made: dict[str, object] = {}
    register = MediaFileManager.add_deferred

    def keep(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        made[str(file_name)] = data_callable
        return register(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    return made


def first_table_title(made: dict[str, object]) -> str | None:
    """The title row of the first table's Excel download (not a template or the full export)."""
    for name, make in made.items():
        if name.endswith(".xlsx") and not name.startswith(("all_data", "template")):
            book = openpyxl.load_workbook(io.BytesIO(make()))  # type: ignore[operator]
            return str(book.worksheets[0]["A1"].value)
    return None


@pytest.mark.servers({"lang": "zh", "level": "city"}, {"lang": "en", "level": "community"})
# Outside the full run each page runs at every scope once, two of them in each language.
@pytest.mark.sample(
    {"lang": "zh", "level": "city"},
    {"lang": "zh", "level": "district"},
    {"lang": "en", "level": "street"},
    {"lang": "en", "level": "community"},
)
@pytest.mark.parametrize("level", DEMO_SCOPES)
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.url_path)
def test_page_runs_on_demo_city(spec, lang, level, demo_url, monkeypatch):
    made = keep_downloads(monkeypatch)
    at = run_app(demo_url, monkeypatch, page=spec.path, lang=lang, **DEMO_SCOPES[level])
    assert not at.exception
    # Every text a reader sees is in the number style: no ISO date, no "-0.0"
    # (docs/formatting.md); so is the title row of the page's first Excel table.
    title = first_table_title(made)
    assert slips([*page_texts(at), title or ""]) == []
    district = DEMO_SCOPES[level].get("district")
    if district is None:
        area = DEMO_CITY_NAME
    else:  # the wall screen shows no narrower area than a district to an open-access viewer
        engine = make_engine(demo_url)
        area = units(engine).set_index("code")["name"][district]
        engine.dispose()
    assert_title(at, spec, lang, area)
    if spec.url_path == "screen":  # a short label in its title line
        label = load_catalog(lang)["screen.demo"]
        assert f'<span class="screen-flag">{label}</span>' in screen_header(at)
    else:
        label = load_catalog(lang)["demo.label"]
        assert any(info.value == label for info in at.info)  # the demo label is on every page
    assert not at.error


@pytest.mark.servers({"lang": "en"})
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.url_path)
def test_page_on_empty_database_says_so(spec, lang, empty_url, monkeypatch):
    at = run_app(empty_url, monkeypatch, page=spec.path, lang=lang)
    assert not at.exception
    expected = "还没有任何社区数据" if lang == "zh" else "holds no community data"
    assert any(expected in info.value for info in at.info)


def test_database_without_schema_says_how_to_create_it(new_database, monkeypatch):
    at = run_app(new_database("bare"), monkeypatch)
    assert not at.exception
    assert "python -m data_access init" in at.error[0].value


def test_unreachable_database_gives_a_message_not_a_traceback(monkeypatch):
    at = run_app("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2", monkeypatch)
    assert not at.exception
    assert "无法连接数据库" in at.error[0].value


@pytest.mark.parametrize(
    ("state", "per_10k", "residents"),
    [
        ({}, "15.1", "55,001"),  # 83 / 55,001 × 10,000
        ({"district": "990101"}, "14.6", "50,000"),  # 73 / 50,000 × 10,000
        ({"district": "990101", "street": "990101001"}, "16.4", "14,000"),  # 23 / 14,000
        ({"district": "990102"}, "20.0", "5,001"),  # 10 / 5,001 × 10,000 = 19.996
    ],
)
def test_district_filter_changes_kpis_exactly(
    state, per_10k, residents, small_city_url, monkeypatch
):
    at = run_app(small_city_url, monkeypatch, month="2025-06", **state)
    values = metric_values(at)
    assert values["每万人社区工作者"] == per_10k
    assert values["常住人口"] == residents


def test_community_scope_lists_its_grids(small_city_url, monkeypatch):
    at = run_app(
        small_city_url,
        monkeypatch,
        month="2025-06",
        district="990101",
        street="990101001",
        community="990101001001",
    )
    assert not at.exception
    values = metric_values(at)
    assert values["社区工作者"] == "15"
    # The community's own figures, not counts of one community: 18 required, 3 short.
    assert values["应配人数"] == "18"
    assert values["缺额人数"] == "3"
    assert "社区数" not in values and "达标社区占比" not in values
    assert [s.value for s in at.main.subheader] == ["预警", "本社区网格"]


def test_unknown_url_code_is_ignored_with_a_notice(small_city_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", small_city_url)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["district"] = "999999"
    at.query_params["month"] = "2025-06"
    at.run()
    assert not at.exception
    assert "district=999999" in at.warning[0].value
    assert metric_values(at)["常住人口"] == "55,001"  # the whole city is shown


def test_valid_url_code_sets_the_scope(small_city_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", small_city_url)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["district"] = "990101"
    at.query_params["month"] = "2025-06"
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    assert metric_values(at)["Workers per 10,000"] == "14.6"


def test_staffing_page_shows_the_street_figures(small_city_url, monkeypatch):
    at = run_app(
        small_city_url,
        monkeypatch,
        page="pages/staffing.py",
        month="2025-06",
        district="990101",
        street="990101001",
    )
    assert not at.exception
    values = metric_values(at)
    assert values["每万人社区工作者"] == "16.4"  # 23 / 14,000 × 10,000
    assert values["应配人数"] == "27"  # 18 + 9
    assert values["缺额人数"] == "4"
    assert values["持证社工比例"] == "34.8%"  # 8 / 23
    assert values["40岁以下未持证"] == "3"  # C1: 2, C2: 1
    assert values["达标社区 / 参评社区"] == "0 / 2"
    caption = " ".join(c.value for c in at.caption)
    assert "专职网格员按本地设置计入" in caption
