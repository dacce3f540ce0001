"""Tables as st.dataframe receives them: the same text as pandas' Styler writes, written once."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from streamlit.elements.lib.pandas_styler_utils import marshall_styler
from streamlit.proto.ArrowData_pb2 import ArrowData

from dashboard import formatting, i18n, tables
from dashboard.i18n import load_catalog, text_in


@pytest.fixture(params=["zh", "en"])
def language(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(i18n, "current_language", lambda: request.param)
    monkeypatch.setattr(tables, "current_language", lambda: request.param)
    tables._cached_display_cells.clear()
    return request.param


def every_kind_of_column() -> pd.DataFrame:
    """A rate, ratios, counts (large, negative, missing), codes, names and a text column."""
    return pd.DataFrame(
        {
            "code": ["990101001001", "990101001002", "990101001003", None],
            "name": ["东湖社区", "West Lake", None, "南门社区"],
            "resident_population": [3_849_008, 99_999, 100_000, 12],
            "workers": pd.array([18, None, 0, 7], dtype="Int64"),
            "per_10k": [18.25, np.nan, 0.0, 1234.56],
            "staffed_rate": [0.645, 1.0, np.nan, 0.0012],
            "gap": [-3.0, 2.0, np.nan, 0.0],
            "area_km2": [1.005, 12345.678, 0.0, np.nan],
            "reduction": [-0.0005, 0.1234, np.nan, 1.0],
            "period": [dt.date(2026, 10, 31), None, dt.date(2025, 1, 31), dt.date(2026, 1, 31)],
            "imported_at": pd.to_datetime(
                ["2026-11-29 10:00", None, "2026-01-02 08:30", "2026-01-03 23:59"]
            ),
        }
    )


def marshalled(styler) -> ArrowData:
    styler.set_uuid("t")
    proto = ArrowData()
    marshall_styler(proto, styler, "t")
    return proto


def pandas_styler(frame: pd.DataFrame):
    """What tables.py drew before: pandas' Styler writing each cell on every run."""
    formatters = dict(tables.cell_formatters(frame))
    return tables.for_people(frame).style.format(formatters, na_rep=formatting.MISSING)


def test_table_text_is_what_pandas_styler_writes(language):
    frame = every_kind_of_column()
    shown, styler = tables.styled(frame)
    ours, theirs = marshalled(styler), marshalled(pandas_styler(frame))
    assert ours.styler.display_values == theirs.styler.display_values
    assert ours.styler.styles == theirs.styler.styles
    assert ours.styler.caption == theirs.styler.caption
    pd.testing.assert_frame_equal(shown, tables.for_people(frame))
    labels = load_catalog(language)
    assert list(shown.columns) == [labels[f"col.{c}"] for c in frame.columns]
    # The numbers underneath stay numbers, so that the columns sort by value.
    assert shown[labels["col.resident_population"]].tolist() == [3_849_008, 99_999, 100_000, 12]
    assert shown[labels["col.staffed_rate"]].tolist()[:2] == [64.5, 100.0]


def test_table_text_reads_as_the_formatting_rules_say(language):
    _shown, styler = tables.styled(every_kind_of_column())
    proto = marshalled(styler)
    import pyarrow as pa

    text = pa.ipc.open_stream(proto.styler.display_values).read_all().to_pandas()
    labels = load_catalog(language)
    assert text[labels["col.resident_population"]].tolist() == [
        "3,849,008",
        "99,999",
        "100,000",
        "12",
    ]
    assert text[labels["col.workers"]].tolist() == ["18", "—", "0", "7"]
    assert text[labels["col.per_10k"]].tolist() == ["18.2", "—", "0.0", "1,234.6"]
    assert text[labels["col.staffed_rate"]].tolist() == ["64.5%", "100.0%", "—", "0.1%"]
    assert text[labels["col.name"]].tolist() == ["东湖社区", "West Lake", "—", "南门社区"]
    assert text[labels["col.code"]].tolist()[-1] == "—"


def test_changes_carry_their_sign_and_months_and_days_read_as_words(language):
    frame = pd.DataFrame(
        {
            "counted_workers_yoy": pd.array([36, 0, -1, None], dtype="Int64"),
            "per_10k_mom": [0.24, -0.04, -0.06, np.nan],
            "period": pd.to_datetime(["2026-10-01", "2019-01-01", None, "2026-02-01"]),
            "deadline": [dt.date(2026, 10, 31), dt.date(2026, 2, 1), None, dt.date(2020, 1, 9)],
            "staffed_rate": [0.948, 0.5, 1.0, np.nan],
        }
    )
    proto = marshalled(tables.styled(frame)[1])
    import pyarrow as pa

    text = pa.ipc.open_stream(proto.styler.display_values).read_all().to_pandas()
    labels = load_catalog(language)
    assert text[labels["col.counted_workers_yoy"]].tolist() == ["+36", "+0", "-1", "—"]
    assert text[labels["col.per_10k_mom"]].tolist() == ["+0.2", "+0.0", "-0.1", "—"]
    months = {
        "zh": ["2026年10月", "2019年1月", "—", "2026年2月"],
        "en": ["Oct 2026", "Jan 2019", "—", "Feb 2026"],
    }
    assert text[labels["col.period"]].tolist() == months[language]
    days = {
        "zh": ["2026年10月31日", "2026年2月1日", "—", "2020年1月9日"],
        "en": ["31 Oct 2026", "1 Feb 2026", "—", "9 Jan 2020"],
    }
    assert text[labels["col.deadline"]].tolist() == days[language]
    # The header of a rate names no unit: its values carry "%".
    assert labels["col.staffed_rate"] in text.columns and "%" not in labels["col.staffed_rate"]
    assert text[labels["col.staffed_rate"]].tolist()[:2] == ["94.8%", "50.0%"]


def test_a_csv_keeps_iso_dates_and_names_the_unit_of_rates(language):
    csv = tables.for_people(
        pd.DataFrame(
            {
                "period": pd.to_datetime(["2026-10-01", None]),
                "deadline": [dt.date(2026, 10, 31), None],
                "staffed_rate": [0.948, 0.5],
            }
        ),
        csv=True,
    )
    labels = load_catalog(language)
    unit = {"zh": "（%）", "en": " (%)"}[language]
    assert list(csv.columns) == [
        labels["col.period"],
        labels["col.deadline"],
        labels["col.staffed_rate"] + unit,
    ]
    assert csv.iloc[0, :2].tolist() == ["2026-10", "2026-10-31"]
    assert csv.iloc[1, :2].isna().all()  # an empty cell
    assert csv.iloc[:, 2].tolist() == [94.8, 50.0]


def test_a_large_table_is_written_once_per_content_and_language(language, monkeypatch):
    rows = 5_000
    frame = pd.DataFrame(
        {
            "code": [f"9901{i:08d}" for i in range(rows)],
            "resident_population": np.arange(rows) * 37,
            "staffed_rate": np.linspace(0, 1, rows),
        }
    )
    ours = marshalled(tables.styled(frame)[1])
    assert ours.styler.display_values == marshalled(pandas_styler(frame)).styler.display_values
    written = []
    original = tables._display_cells
    monkeypatch.setattr(
        tables, "_display_cells", lambda *args: written.append(1) or original(*args)
    )
    tables._cached_display_cells.clear()
    tables.styled(frame)
    tables.styled(frame.copy())  # the same content: not written again
    assert len(written) == 1
    changed = frame.copy()
    changed.loc[rows - 1, "resident_population"] = 1  # one value in the last row changes the text
    _shown, styler = tables.styled(changed)
    assert len(written) == 2
    assert (
        marshalled(styler).styler.display_values
        == marshalled(pandas_styler(changed)).styler.display_values
    )


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_long_list_shows_its_first_rows_and_downloads_every_row(lang, sqlite_demo, monkeypatch):
    """The Overview's unstaffed grids of the demo city, with the page's cut lowered to 7 rows."""
    from tests.test_pages import run_app

    monkeypatch.setattr(tables, "LONG_LIST_ROWS", 7)
    offered: dict[str, tuple[pd.DataFrame, object]] = {}
    original = tables.download_table

    def recording(frame, shown, title, file_stem, filters, key, **kwargs):
        offered[key] = (frame, shown)
        return original(frame, shown, title, file_stem, filters, key, **kwargs)

    monkeypatch.setattr(tables, "download_table", recording)
    at = run_app(sqlite_demo.url, monkeypatch, page="pages/overview.py", lang=lang)
    assert not at.exception
    frame, shown = offered["overview_unstaffed_city"]
    assert len(frame) > 7
    first = list(frame["code"].head(7))
    on_page = [table.value for table in at.dataframe if len(table.value) == 7]
    code = load_catalog(lang)["col.code"]
    assert any(list(table.get(code, [])) == first for table in on_page)  # the first 7, in order
    assert callable(shown)  # the CSV is of every row, written when clicked in the page's language
    every_row = shown(text_in(lang))
    assert len(every_row) == len(frame)
    pd.testing.assert_frame_equal(every_row, tables.for_people(frame, text_in(lang)))
    assert every_row.columns[0] == load_catalog(lang)[f"col.{frame.columns[0]}"]
    expected = load_catalog(lang)["table.first_rows"].format(
        shown="7", total=formatting.integer(len(frame))
    )
    assert expected in [caption.value for caption in at.caption]
