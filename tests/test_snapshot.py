"""Report pictures without a browser: URLs, the first page, the printed header and paper width."""

from __future__ import annotations

from dashboard.navigation import PAGES
from dashboard.snapshot import PRINT_WIDTH_PX, page_header_html, scope_params, view_url


def test_view_url_keeps_filters_and_asks_for_report_mode():
    url = view_url("http://127.0.0.1:8501/", "staffing", {"district": "990101", "street": ""})
    assert url == "http://127.0.0.1:8501/staffing?district=990101&report=1"


def test_scope_params_split_a_code_into_the_filter_chain():
    assert scope_params("990101001001", "2026-10", "en") == {
        "lang": "en",
        "month": "2026-10",
        "district": "990101",
        "street": "990101001",
        "community": "990101001001",
    }
    assert scope_params(None, None, "zh") == {"lang": "zh"}


def test_the_first_menu_page_is_asked_for_at_the_root():
    # The default page of st.navigation lives at "/", and "/overview" would find no page.
    assert (
        view_url("http://h:1", PAGES[0].url_path, {"lang": "zh"}) == "http://h:1/?lang=zh&report=1"
    )
    assert view_url("http://h:1", "burden", {}) == "http://h:1/burden?report=1"


def test_page_header_of_a_pdf_is_escaped_text():
    assert page_header_html("东湖区 <b> & 1").endswith(">东湖区 &lt;b&gt; &amp; 1</div>")


def test_wide_tables_print_on_landscape_pages_at_print_width():
    # 277 mm of landscape paper between the margins at 96 px per inch.
    assert PRINT_WIDTH_PX == {False: 718, True: 1047}
