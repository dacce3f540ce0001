"""Report pictures without a browser: URLs, page breaks and the PDF made from a picture."""

from __future__ import annotations

import io

from PIL import Image

from dashboard.snapshot import page_breaks, png_to_pdf, scope_params, view_url


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


def test_page_breaks_fall_on_block_tops_in_the_lower_half():
    # A page holds 1,000 px; blocks start at 0, 300, 900, 1,200 and 2,100. From 0 the last top
    # in (500, 1000] is 900; from 900 none lies in (1400, 1900], so the page is cut at 1900.
    assert page_breaks(2500, 1000, [0, 300, 900, 1200, 2100]) == [0, 900, 1900, 2500]
    # No block top in the lower half: the cut falls at the page end.
    assert page_breaks(2500, 1000, [0, 100]) == [0, 1000, 2000, 2500]
    assert page_breaks(800, 1000, [0]) == [0, 800]


def test_png_to_pdf_makes_a4_pages():
    picture = Image.new("RGB", (700, 2500), "white")
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    pdf = png_to_pdf(buffer.getvalue(), [0, 600, 1200, 1900])
    assert pdf.startswith(b"%PDF")
    # 700 px wide makes pages 990 px tall: cuts at 600, 1,200 and 1,900, so four pages.
    assert b"/Count 4" in pdf
