"""Every CSV and Excel download of every page in the reader's language, built as a click builds it.

A click builds its file after the page's run, in a thread without the session, where a word
looked up would come out in the server's default language. Each page runs under AppTest in both
languages on the small city with its admission list and premises (tests/small_city.py,
tests/admission_city.py, tests/premises_city.py), long lists cut after one row so that their CSV
is the one written when clicked, and each file is built in a thread of its own. On the English
page no sheet name, title row, header or filter holds a Chinese character apart from unit names
(data); on the Chinese page each header is the Chinese of the English one, from the same key.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import openpyxl
import pytest
import streamlit
from streamlit.delta_generator import DeltaGenerator

from dashboard import i18n, tables
from dashboard.i18n import load_catalog
from dashboard.navigation import PAGES
from data_access import access, accounts
from data_access.access import Principal
from data_access.accounts import OPERATOR
from data_access.db import make_engine
from data_access.queries.hierarchy import units
from data_access.schema import upgrade
from data_access.settings import get_settings
from tests.admission_city import build_admission
from tests.premises_city import build_premises
from tests.small_city import build_small_city
from tests.test_pages import run_app

pytestmark = pytest.mark.slow

CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")  # a key whose text the catalog lacks
NO_DOWNLOADS = {"briefing", "screen"}  # pages without a table to download
# The import template and the full export are files in the import format, whose sheet names and
# headers are the template's Chinese ones in every language (docs/metrics.md §6): not checked.
IMPORT_FORMAT = {"data_template_xlsx", "data_export_xlsx"}
FILTERS_SHEET = "export.filters_sheet"

# Every page at city scope, the Data page for an administrator (with the audit and the accounts),
# and the profile of one community besides.
ADMIN = {"_principal": Principal("chief", None, "admin")}
SCENARIOS: dict[str, tuple[str, dict[str, object]]] = {
    **{spec.url_path: (spec.path, ADMIN if spec.url_path == "data" else {}) for spec in PAGES},
    "profile_community": (
        "pages/profile.py",
        {"district": "990101", "street": "990101001", "community": "990101001001"},
    ),
}


@dataclass(frozen=True)
class Download:
    """What one file says, apart from its data rows."""

    rows: int  # data rows, in every table of the file
    names: tuple[str, ...]  # sheet names, in order
    titles: tuple[str, ...]  # title rows
    headers: tuple[tuple[str, ...], ...]  # the header row of each table
    filters: tuple[tuple[str, str], ...]  # the filters sheet: its header, then name and value


@pytest.fixture(scope="module")
def city_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('download_language') / 'city.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    build_small_city(engine)
    build_admission(engine)
    build_premises(engine)
    accounts.add_account(engine, "chief", "city", "admin", "Chief-pw-12345", actor=OPERATOR)
    access.record(engine, "export", "chief", "city", "all_data_city")
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def unit_names(city_url: str) -> list[str]:
    engine = make_engine(city_url)
    names = sorted(units(engine)["name"], key=len, reverse=True)
    engine.dispose()
    return names


def offered_files(
    url: str, page: str, state: dict[str, object], lang: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, tuple[str, bytes]]:
    """Every CSV and Excel download of one run of the page: key → (file name, bytes), each built
    as a click builds it, in a thread without the page's session."""
    offered: dict[str, tuple[str, object]] = {}

    def recording(button: Callable[..., object]) -> Callable[..., object]:
        def record(*args: object, data: object, file_name: str, key: str, **kw: object) -> object:
            offered[key] = (file_name, data)
            return button(*args, data=data, file_name=file_name, key=key, **kw)

        return record

    with monkeypatch.context() as patch:
        patch.setattr(DeltaGenerator, "download_button", recording(DeltaGenerator.download_button))
        patch.setattr(streamlit, "download_button", recording(streamlit.download_button))
        patch.setattr(tables, "LONG_LIST_ROWS", 1)
        if "_principal" in state:
            patch.setenv("DASHBOARD_AUTH_MODE", "local")
            state = {**state, "_signed_in_at": time.time()}
        get_settings.cache_clear()
        # Where the session is not known, the language falls back on the other one, so that a
        # word looked up there shows in either language (the figures keep their settings).
        other = replace(get_settings(), default_language="zh" if lang == "en" else "en")
        patch.setattr(i18n, "get_settings", lambda: other)
        try:
            at = run_app(url, patch, page=page, lang=lang, month="2025-06", **state)
            assert not at.exception
            return {
                key: (name, built_after_the_run(data))
                for key, (name, data) in offered.items()
                if name.endswith((".csv", ".xlsx")) and key not in IMPORT_FORMAT
            }
        finally:
            get_settings.cache_clear()


def built_after_the_run(data: object) -> bytes:
    """The file as the click gets it: the callable run in a thread of its own."""
    if not callable(data):
        assert isinstance(data, bytes)
        return data
    built: list[bytes] = []
    build: Callable[[], bytes] = data
    thread = threading.Thread(target=lambda: built.append(build()))
    thread.start()
    thread.join()
    (made,) = built
    return made


def read(name: str, data: bytes) -> Download:
    if name.endswith(".csv"):
        header, *rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
        return Download(len(rows), (), (), (tuple(header),), ())
    book = openpyxl.load_workbook(io.BytesIO(data))
    *sheets, filters = book.worksheets
    values = [[[str(c.value or "") for c in row] for row in sheet.iter_rows()] for sheet in sheets]
    return Download(
        rows=sum(len(table) - 3 for table in values),
        names=tuple(book.sheetnames),
        titles=tuple(table[0][0] for table in values),
        headers=tuple(tuple(table[2]) for table in values),
        filters=tuple((str(a.value), str(b.value)) for a, b in filters.iter_rows()),
    )


def words(download: Download, unit_names: list[str]) -> list[str]:
    """The file's own words: sheet names, titles, headers and the filters sheet, without the
    names of districts, streets and communities (data, written as they are)."""
    texts = [
        *download.names,
        *download.titles,
        *(header for headers in download.headers for header in headers),
        *(text for pair in download.filters for text in pair),
    ]
    for name in unit_names:
        texts = [text.replace(name, "") for text in texts]
    return texts


def same_key(english: str, chinese: str, en: dict[str, str], zh: dict[str, str]) -> bool:
    """The two headers are one catalog key's text in the two languages; a CSV's rate column
    adds the unit its values lack, in each language (docs/formatting.md)."""
    unit_en, unit_zh = en["col.percent_unit"], zh["col.percent_unit"]
    pairs = {(english, chinese)}
    if english.endswith(unit_en) and chinese.endswith(unit_zh):
        pairs.add((english.removesuffix(unit_en), chinese.removesuffix(unit_zh)))
    return any((en[key], zh.get(key)) in pairs for key in en)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_download_is_in_the_pages_language(scenario, city_url, unit_names, monkeypatch):
    page, state = SCENARIOS[scenario]
    en, zh = load_catalog("en"), load_catalog("zh")
    english = offered_files(city_url, page, state, "en", monkeypatch)
    chinese = offered_files(city_url, page, state, "zh", monkeypatch)
    assert english.keys() == chinese.keys()
    assert english or scenario in NO_DOWNLOADS
    for key, (name, data) in english.items():
        file = read(name, data)
        other = read(*chinese[key])
        for text in words(file, unit_names):
            assert not CJK.search(text), (key, text)
            assert not KEY.match(text), (key, text)
        assert other.rows == file.rows, key  # the same rows in both languages
        for headers, chinese_headers in zip(file.headers, other.headers, strict=True):
            for header, chinese_header in zip(headers, chinese_headers, strict=True):
                assert CJK.search(chinese_header), (key, chinese_header)
                assert same_key(header, chinese_header, en, zh), (key, header, chinese_header)
        if name.endswith(".xlsx"):
            assert file.names[-1] == en[FILTERS_SHEET] and other.names[-1] == zh[FILTERS_SHEET]
            assert file.filters[0] == (en["export.filter"], en["export.value"]), key
            assert other.filters[0] == (zh["export.filter"], zh["export.value"]), key
            assert all(CJK.search(sheet) for sheet in other.names), (key, other.names)
