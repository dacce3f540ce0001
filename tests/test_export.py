"""The shared export helper: CSV with BOM and neutralised formulas, Excel with a filters sheet."""

from __future__ import annotations

import csv
import io
import struct

import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest
from kaleido.errors import JavascriptError

from dashboard import export
from dashboard.charts import ranking_bar
from dashboard.export import chromium_available, figure_png
from data_access.files import BOM, csv_bytes, excel_bytes, neutralise, sheet_name


def test_csv_starts_with_bom_and_neutralises_formulas():
    frame = pd.DataFrame(
        {
            "名称": ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "幸福里"],
            "gap": [-9, 0, 1, 2, 3, 4, 5],
        }
    )
    raw = csv_bytes(frame)
    assert raw.startswith(BOM.encode("utf-8"))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["名称", "gap"]
    assert [row[0] for row in rows[1:]] == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tTab",
        "'\rCR",
        "幸福里",
    ]
    assert rows[1][1] == "-9"  # numbers stay numbers


def test_neutralise_leaves_other_values():
    assert neutralise("社区") == "社区"
    assert neutralise(-3) == -3
    assert neutralise(None) is None


def test_excel_has_a_sheet_per_table_and_the_filters(tmp_path):
    tables = {
        "排名": pd.DataFrame({"代码": ["990101"], "值": [1.5]}),
        "a/b:c": pd.DataFrame({"x": ["=1+1"]}),
    }
    raw = excel_bytes(tables, {"范围": "甲区", "截至": "2025-06"}, "筛选条件", ("条件", "取值"))
    book = openpyxl.load_workbook(io.BytesIO(raw))
    assert book.sheetnames == ["排名", "a_b_c", "筛选条件"]
    assert book["排名"]["A2"].value == "990101"
    assert book["排名"]["B2"].value == 1.5
    assert book["a_b_c"]["A2"].value == "=1+1"
    assert book["a_b_c"]["A2"].data_type == "s"  # stored as text, not as a formula
    assert [[c.value for c in row] for row in book["筛选条件"].iter_rows()] == [
        ["条件", "取值"],
        ["范围", "甲区"],
        ["截至", "2025-06"],
    ]


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    assert sheet_name("x" * 40, taken) == "x" * 31
    assert sheet_name("x" * 40, taken) == "x" * 27 + " (2)"
    assert sheet_name("[a]?", set()) == "_a__"


@pytest.mark.slow  # starts Chromium
@pytest.mark.skipif(not chromium_available(), reason="no Chromium on this machine to draw images")
def test_chart_png_is_drawn_on_the_server(monkeypatch):
    import kaleido

    asked: list[dict[str, object]] = []
    real = kaleido.calc_fig_sync

    def calc_fig_sync(*args: object, **kwargs: object) -> bytes:
        asked.append(dict(kwargs["kopts"]))  # type: ignore[call-overload]
        return real(*args, **kwargs)

    monkeypatch.setattr(kaleido, "calc_fig_sync", calc_fig_sync)
    figure = ranking_bar(
        pd.DataFrame({"code": ["990101"], "name": ["东湖区"], "per_10k": [16.5]}),
        "per_10k",
        title="每万人社区工作者",
        value_label="每万人",
        reference=18.0,
        reference_label="标准 18",
    )
    image = figure_png(figure)
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", image[16:24])
    assert (width, height) == (2400, 2 * figure.layout.height)
    # No MathJax: kaleido would fetch it from a public CDN for every picture.
    assert [kopts.get("mathjax") for kopts in asked] == [False]


# A render that met kaleido's page before its script had run (dashboard/export.py:figure_png).
NOT_READY = "{'subtype': 'error', 'description': 'ReferenceError: kaleido_scopes is not defined'}"


def _small_figure() -> go.Figure:
    return go.Figure(go.Bar(x=["甲"], y=[1.0]), layout={"height": 300})


def _fake_renders(monkeypatch, outcomes: list[bytes | Exception]) -> list[bool]:
    """Replaces kaleido with `outcomes`, one per render; whether each render held the lock."""
    held: list[bool] = []

    def render(figure: go.Figure, height: int) -> bytes:
        assert height == 300
        held.append(export._RENDER_LOCK.locked())
        outcome = outcomes[len(held) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(export, "_render_png", render)
    return held


def test_a_render_that_met_the_page_unready_is_drawn_once_more(monkeypatch):
    held = _fake_renders(monkeypatch, [JavascriptError(NOT_READY), b"\x89PNG drawn"])
    assert figure_png(_small_figure()) == b"\x89PNG drawn"
    assert held == [True, True]  # both under the lock
    assert not export._RENDER_LOCK.locked()


def test_a_render_failing_twice_is_an_error_and_other_errors_are_not_retried(monkeypatch):
    held = _fake_renders(monkeypatch, [JavascriptError(NOT_READY), JavascriptError(NOT_READY)])
    with pytest.raises(JavascriptError, match="ReferenceError"):
        figure_png(_small_figure())
    assert held == [True, True]
    assert not export._RENDER_LOCK.locked()
    held = _fake_renders(monkeypatch, [ValueError("bad figure"), b"never"])
    with pytest.raises(ValueError, match="bad figure"):
        figure_png(_small_figure())
    assert held == [True]
    assert not export._RENDER_LOCK.locked()


def test_a_render_kept_waiting_by_a_stuck_one_is_drawn_beside_it(monkeypatch):
    monkeypatch.setattr(export, "RENDER_WAIT_SECONDS", 0.0)
    held = _fake_renders(monkeypatch, [b"\x89PNG beside"])
    assert export._RENDER_LOCK.acquire(blocking=False)  # the stuck render
    try:
        assert figure_png(_small_figure()) == b"\x89PNG beside"
        assert held == [True]
        assert export._RENDER_LOCK.locked()  # still the stuck render's, not released by this one
    finally:
        export._RENDER_LOCK.release()
