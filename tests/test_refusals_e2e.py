"""The wall screen's PDF report as a street account, drawn by Debian's Chromium through a one-time
report link: its own street, or one refusal sentence for another district, never a traceback
(docs/accounts.md). Skips without Chromium, like tests/test_e2e.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.i18n import load_catalog
from dashboard.snapshot import chromium_path, render, running_app, view_url
from data_access import accounts
from data_access.db import make_engine
from data_access.schema import upgrade
from data_access.tokens import TOKEN_PARAM, mint, view_key
from tests.small_city import build_small_city
from tests.test_e2e import _no_browser

pytestmark = [pytest.mark.slow, pytest.mark.full]
SECRET = "a-report-secret-of-the-refusal-test"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if chromium_path() is None or shutil.which("pdftotext") is None:
        _no_browser()
    url = f"sqlite:///{tmp_path_factory.mktemp('refusals_e2e') / 'city.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    build_small_city(engine)
    accounts.add_account(
        engine, "east", "990101001", "viewer", "Refusal-e2e-pw-9", actor=accounts.OPERATOR
    )
    engine.dispose()
    env = dict(
        os.environ, DATABASE_URL=url, DASHBOARD_AUTH_MODE="local", DASHBOARD_REPORT_SECRET=SECRET
    )
    env.pop("DATABASE_WRITER_URL", None)
    with running_app(env) as base:
        yield base


def screen_pdf_text(base: str, params: dict[str, str], tmp_path: Path) -> str:
    token = mint("east", view_key("screen", params), 60, SECRET.encode())
    data = render(view_url(base, "screen", {**params, TOKEN_PARAM: token}), "pdf")
    out = tmp_path / "screen.pdf"
    out.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True, text=True
    ).stdout


def assert_no_trace(text: str) -> None:
    for trace in ("Traceback", "ScopeRefused", ".py", "site-packages", "lies outside the scope"):
        assert trace not in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_wall_screen_report_of_a_street_account_shows_its_street(app_url, lang, tmp_path):
    text = screen_pdf_text(app_url, {"lang": lang}, tmp_path)
    assert_no_trace(text)
    assert "东街道" in text  # the account's street, not 甲区, which it may not see
    assert load_catalog(lang)["auth.refused"] not in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_wall_screen_report_for_another_district_is_one_sentence(app_url, lang, tmp_path):
    text = screen_pdf_text(app_url, {"lang": lang, "district": "990102"}, tmp_path)
    assert_no_trace(text)
    sentence = load_catalog(lang)["auth.outside_scope"].format(values="district=990102")
    assert "".join(sentence.split()) in "".join(text.split())  # however the lines wrap
    assert "乙区" not in text and "南街道" not in text
