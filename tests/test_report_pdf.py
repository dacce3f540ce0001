"""PDF reports of the demo city read as text (pdftotext): every row, a header on every page,
no controls. Needs Debian's chromium and poppler-utils; without them these tests skip."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dashboard import formatting
from dashboard.snapshot import chromium_path, main, render, view_url
from data_access.catalog import translate
from data_access.db import make_engine
from data_access.figures.burden import reductions
from data_access.figures.overview import ranking, unstaffed_alerts
from data_access.models import BURDEN_CATEGORIES
from data_access.queries.burden import unit_series
from data_access.queries.hierarchy import data_months
from data_access.queries.staffing import staffing_by_unit, staffing_total
from data_access.scope import Scope, ancestors, month_end
from data_access.settings import get_settings
from tests.backends import DemoBuild
from tests.page_text import page_texts, slips
from tests.test_pages import first_table_title, keep_downloads, run_app

DISTRICT, DISTRICT_NAME = "990101", "东湖区"
WIDGET_TEXTS = (
    "排名指标",
    "在表格中选中一行即可下钻",
    "下载 CSV",
    "下载 Excel",
    "截图 PNG",
    "排名类别",
)


@pytest.fixture(scope="module")
def demo(sqlite_demo: DemoBuild) -> tuple[str, Scope]:
    """The session's demo city on SQLite (tests/conftest.py), which the app only reads."""
    if chromium_path() is None or shutil.which("pdftotext") is None:
        pytest.skip("needs chromium and poppler-utils (apt-get install chromium poppler-utils)")
    url = sqlite_demo.url
    engine = make_engine(url)
    last = data_months(engine)[1]
    engine.dispose()
    return url, Scope(DISTRICT, month_end(last))


@pytest.fixture(scope="module")
def app_url(demo: tuple[str, Scope], demo_app: str) -> str:
    """The app on the demo city (tests/conftest.py:demo_app)."""
    return demo_app


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    )
    return done.stdout


def district_report(app_url: str, page: str, scope: Scope, tmp_path: Path) -> str:
    params = {"lang": "zh", "district": DISTRICT, "month": f"{scope.as_of:%Y-%m}"}
    return pdf_text(render(view_url(app_url, page, params), "pdf"), tmp_path)


def assert_reads_as_a_report(text: str, scope: Scope, pages_title: str) -> None:
    pages = text.split("\f")[:-1]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        head = page.strip().splitlines()[0]
        assert f"{pages_title} · 范围：{DISTRICT_NAME}" in head
        assert f"截至日期：{formatting.day(scope.as_of, 'zh')}" in head and "演示数据" in head
        assert "生成时间" in head and "（UTC+8）" in head
        assert re.search(rf"\b{number} ?/ ?{len(pages)}\b", page)
    for widget in WIDGET_TEXTS:
        assert widget not in text


def is_subsequence(wanted: list[str], cells: list[str]) -> bool:
    """Every wanted cell appears, in this order (other columns may lie between them)."""
    remaining = iter(cells)
    return all(cell in remaining for cell in wanted)


def line_of_pattern(text: str, pattern: str) -> str:
    """The one printed line that matches pattern."""
    found = [line for line in text.splitlines() if re.search(pattern, line)]
    assert len(found) == 1, (pattern, found)
    return found[0]


def line_of(text: str, *parts: str) -> str:
    """The one printed line that holds every part (a table row)."""
    found = [line for line in text.splitlines() if all(part in line for part in parts)]
    assert len(found) == 1, (parts, found)
    return found[0]


@pytest.mark.full
def test_overview_pdf_holds_every_street_of_the_district(demo, app_url, tmp_path):
    url, scope = demo
    text = district_report(app_url, "overview", scope, tmp_path)
    assert_reads_as_a_report(text, scope, "总览")
    streets = staffing_by_unit(make_engine(url), scope, get_settings())
    assert len(streets) == 12
    for street in streets.itertuples():
        row = line_of(text, street.code + " ", f" {street.name} ")
        cells = row.split()
        expected = [
            formatting.integer(street.communities),
            formatting.integer(street.resident_population),
            formatting.integer(street.counted_workers),
            formatting.decimal(street.per_10k, 1),
            formatting.integer(street.required),
            formatting.integer(street.gap),
            formatting.percent(street.share_meeting),
            formatting.percent(street.licensed_rate),
        ]
        assert is_subsequence(expected, cells[2:]), row


@pytest.mark.full
def test_burden_pdf_holds_every_street_and_category(demo, app_url, tmp_path):
    url, scope = demo
    text = district_report(app_url, "burden", scope, tmp_path)
    assert_reads_as_a_report(text, scope, "减负增效")
    series = unit_series(make_engine(url), scope, "street")
    rows = reductions(series, scope.as_of, get_settings())
    assert len(rows) == 12 * len(BURDEN_CATEGORIES)
    for row in rows.itertuples():
        category = translate("zh", f"category.{row.category}")
        reduction = formatting.percent(row.reduction)
        # The table of every street × category, not the rebound list, which has other columns.
        pattern = rf"^ *{row.code} .* {re.escape(category)} +{re.escape(reduction)} "
        line = line_of_pattern(text, pattern)
        assert f" {formatting.integer(row.current)}" in line


@pytest.mark.full
def test_staffing_pdf_holds_every_community_of_the_district(demo, app_url, tmp_path):
    url, scope = demo
    text = district_report(app_url, "staffing", scope, tmp_path)
    assert_reads_as_a_report(text, scope, "队伍配备")
    communities = staffing_by_unit(make_engine(url), scope, get_settings(), level="community")
    assert len(communities) > 100  # more than the ten rows a scrolling grid would have shown
    for community in communities.itertuples():
        expected = [
            formatting.integer(community.resident_population),
            formatting.integer(community.counted_workers),
            formatting.decimal(community.per_10k, 1),
            formatting.integer(community.required),
            formatting.integer(community.gap),
        ]
        row = line_of(text, community.code + " ")
        assert is_subsequence(expected, row.split()[2:]), row


@pytest.mark.full
def test_snapshot_without_a_page_prints_the_first_page(app_url, tmp_path):
    out = tmp_path / "first.pdf"
    assert main(["--url", app_url, "--out", str(out)]) == 0
    text = pdf_text(out.read_bytes(), tmp_path)
    assert "社区治理领导驾驶舱 · 总览 · 范围：全市" in text
    assert "Page not found" not in text and "找不到" not in text


@pytest.mark.sample({"scope_code": "990101001"})
@pytest.mark.parametrize("scope_code", ["990101001", "990101001001"])
def test_briefing_is_one_page_with_headline_kpis_alerts_and_chart(
    demo, app_url, tmp_path, scope_code
):
    engine = make_engine(demo[0])
    total = staffing_total(engine, Scope(scope_code, demo[1].as_of), get_settings())
    engine.dispose()
    # 北康镇 holds villages: per 10,000 and the share meeting are of its urban communities.
    villages = bool(total["villages"])
    out = tmp_path / "briefing.pdf"
    argv = ["--url", app_url, "--page", "briefing", "--scope", scope_code, "--out", str(out)]
    assert main(argv) == 0
    text = pdf_text(out.read_bytes(), tmp_path)
    assert text.count("\f") == 1  # one A4 page
    name = next(
        line.split("范围：")[1].split(" · ")[0] for line in text.splitlines() if "范围：" in line
    )
    if scope_code == "990101001":
        assert villages  # the demo's town: urban communities and villages
    if villages and len(scope_code) < 12:
        assert f"{name}城市社区每万人社区工作者" in text  # the headline sentence
        labels = ["每万人（城市社区）", "达标城市社区占比"]
    else:
        assert f"{name}每万人社区工作者" in text or f"{name}（村）每万人社区工作者" in text
        labels = ["每万人社区工作者", "达标城市社区占比" if villages else "达标社区占比"]
    for label in (*labels, "缺额人数", "网格配员率", "工作事项精简率"):
        assert label in text
    # every card names its standard or target (the lights' legend names them in words only)
    assert "标准 18" in text and len(re.findall(r"目标 \d", text)) == 5
    flowing = text.replace("\n", "")  # a sentence may wrap anywhere
    assert "需要关注" in text and "无网格员的网格" in flowing


def test_the_plan_briefing_is_one_page_that_opens_with_its_conclusion(demo, app_url, tmp_path):
    from data_access.planner import PlanOptions, compare_rules
    from data_access.queries.staffing import population_by_year

    url, scope = demo
    engine = make_engine(url)
    settings = get_settings()
    communities = staffing_by_unit(engine, scope, settings, level="community")
    history = population_by_year(engine, scope)
    engine.dispose()
    comparison = compare_rules(
        communities, PlanOptions(posts=200), settings, history, scope.as_of.year
    )
    best = comparison.outcomes[0]
    params = {"lang": "zh", "district": DISTRICT, "month": f"{scope.as_of:%Y-%m}"}
    text = pdf_text(
        render(view_url(app_url, "planner", {**params, "plan_brief": "1"}), "pdf"), tmp_path
    )
    assert text.count("\f") == 1  # one A4 page
    flat = re.sub(r"\s+", "", text)  # lines break anywhere in a sentence
    rule = translate("zh", f"planner.rule.{best.rule}")
    assert (
        f"若增200岗，按『{rule}』可使{best.communities_meeting}/{best.communities_assessed}个社区达标"
        in flat
    )
    assert f"推荐『{rule}』" in flat
    for outcome in comparison.outcomes:  # every rule, in the order of the recommendation
        name = translate("zh", f"planner.rule.{outcome.rule}")
        assert line_of(
            text, name, f"{outcome.communities_meeting} / {outcome.communities_assessed}"
        )
    total = "合计{}个街道：分配前缺额{}，新增岗位200，分配后缺额{}。".format(
        communities["code"].str[:9].nunique(), int(communities["gap"].sum()), best.gap_after
    )
    assert total in flat
    for widget in WIDGET_TEXTS:
        assert widget not in text


# The area of each scope of the number-style test: the city, 东湖区, its first street and that
# street's first community.
STYLE_SCOPES = {
    "city": None,
    "district": "990101",
    "street": "990101001",
    "community": "990101001001",
}
# Pages of the city's Overview PDF, in Chinese and in English (measured: 13, of which 8 are the
# body and 5 the appendix of 242 grids without a grid worker); listed in the body, the grids made
# it 15 pages, 9 of them the list.
CITY_PDF_PAGES = 13
APPENDIX = {"zh": "附录一", "en": "Appendix 1"}


@pytest.mark.sample({"level": "city", "lang": "zh"}, {"level": "street", "lang": "en"})
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("level", STYLE_SCOPES)
def test_the_overview_reads_in_the_number_style(level, lang, demo, app_url, tmp_path, monkeypatch):
    """No ISO date and no "-0.0" on the page, in its first Excel title or in its PDF, and every
    change with its sign; the city's PDF counts its unstaffed grids per street and lists them
    whole in a numbered appendix (docs/formatting.md)."""
    url, district_scope = demo
    code = STYLE_SCOPES[level]
    scope = Scope(code, district_scope.as_of)
    area = ancestors(code) if code else {}
    month = f"{scope.as_of:%Y-%m}"
    made = keep_downloads(monkeypatch)
    at = run_app(url, monkeypatch, lang=lang, month=month, **area)
    assert not at.exception
    title = first_table_title(made)
    assert title is not None and formatting.day(scope.as_of, lang) in title
    assert slips([*page_texts(at), title]) == []

    params = {"lang": lang, "month": month, **area}
    text = pdf_text(render(view_url(app_url, "overview", params), "pdf"), tmp_path)
    text = text.replace("\xa0", " ")  # a name and its count are joined by a no-break space
    pages = text.split("\f")[:-1]
    assert slips(text.splitlines()) == []
    for page in pages:  # the date of the data in the header of every page, as words
        assert formatting.day(scope.as_of, lang) in page.strip().splitlines()[0]
    engine = make_engine(url)
    settings = get_settings()
    if level != "community":
        for unit in ranking(engine, scope, settings).itertuples():
            changes = [
                formatting.signed(unit.counted_workers_yoy),
                formatting.signed(unit.per_10k_yoy, 1),
            ]
            rows = [
                line.split()
                for line in text.splitlines()
                if f"{unit.code} " in line and f" {unit.name} " in line
            ]
            assert any(is_subsequence(changes, cells) for cells in rows), (changes, rows)
            assert all(change[0] in "+-—" for change in changes)  # "—": no year-earlier figure
    if level == "city":
        assert len(pages) <= CITY_PDF_PAGES
        grids = unstaffed_alerts(engine, scope)
        heading = re.compile(rf"^\s*{APPENDIX[lang]}\b", re.MULTILINE)
        start = next(i for i, page in enumerate(pages) if heading.search(page))
        body, appendix = "".join(pages[:start]), "".join(pages[start:])
        assert "990101 " in "".join(pages[:3])  # the ranking of the districts up front
        assert not re.search(r"\b\d{15}\b", body)  # no grid listed in the body…
        for (street, name), count in (
            grids.groupby([grids["code"].str[:9], "street_name"]).size().items()
        ):
            assert f"{name} {count}" in body, (street, name, count)  # …but counted per street
        numbered = [line_of(appendix, f" {grid} ").split() for grid in grids["code"]]
        assert [cells[0] for cells in numbered] == [str(n) for n in range(1, len(grids) + 1)]
    engine.dispose()
