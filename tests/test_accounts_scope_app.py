"""A street account's map click on another street and a full Excel export outside an account's
area, in the app (AppTest) on SQLite and PostgreSQL: refused, recorded in the audit, and nothing
of the other area shown or exported (docs/accounts.md)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from dashboard import navigation
from dashboard.grid_map import drill_target
from dashboard.navigation import PAGES
from data_access import accounts
from data_access.access import Principal, ScopeRefused
from data_access.accounts import OPERATOR
from data_access.db import make_engine
from data_access.models import Account, AuditEvent
from data_access.scope import ancestors
from data_access.settings import get_settings
from tests.test_pages import keep_downloads

pytestmark = pytest.mark.servers({"backend": "postgresql"})

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PASSWORD = "Bereich-pw-10"
ACCOUNTS = {"east": ("990101001", "viewer"), "district_a": ("990101", "viewer")}


@pytest.fixture
def local_app(city_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    engine = make_engine(city_url)
    for name, (scope, role) in ACCOUNTS.items():
        accounts.add_account(engine, name, scope, role, PASSWORD, actor=OPERATOR)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", city_url)
    monkeypatch.delenv("DATABASE_WRITER_URL", raising=False)
    monkeypatch.setenv("DASHBOARD_AUTH_MODE", "local")
    get_settings.cache_clear()
    yield city_url
    get_settings.cache_clear()


def app_on(page: str, name: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    chosen = next(spec for spec in PAGES if spec.path == page)
    monkeypatch.setattr(
        navigation, "PAGES", (chosen, *(spec for spec in PAGES if spec is not chosen))
    )
    at = AppTest.from_file(APP, default_timeout=120)
    scope, role = ACCOUNTS[name]
    at.session_state["_principal"] = Principal(name, scope if scope != "city" else None, role)
    at.session_state["_signed_in_at"] = time.time()
    return at


def audit(url: str) -> list[tuple]:
    table = AuditEvent.__table__
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(table.c.account, table.c.kind, table.c.scope, table.c.detail).order_by(
                table.c.id
            )
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_a_map_click_on_another_street_is_refused_and_recorded(local_app, monkeypatch):
    at = app_on("pages/grids.py", "east", monkeypatch)
    at.run()
    assert not at.exception
    before = {m.label: m.value for m in at.metric}
    assert before["网格数"] == "4"  # 东街道
    # AppTest cannot send a pydeck selection, so this sets what the map's callback
    # (pages/grids.py:drill_from_map → filters.drill_to) sets for a click on a community of
    # 西街道, as a crafted message from the browser could.
    # (AppTest takes it before a run: it cannot hold a value its selectbox does not offer.)
    target = drill_target("990101002001", "street")
    assert target == "990101002001"
    at = app_on("pages/grids.py", "east", monkeypatch)
    for key, value in ancestors(target).items():
        at.session_state[key] = value
    at.session_state["_pending_page"] = "grids"
    at.run()
    assert not at.exception
    assert "street=990101002" in at.error[0].value
    assert "超出本账号的权限范围" in at.error[0].value
    assert at.session_state["street"] == "990101001"
    assert "community" not in at.session_state or at.session_state["community"] is None
    assert {m.label: m.value for m in at.metric} == before  # still 东街道's figures
    assert audit(local_app)[-1] == (
        "east",
        "refused",
        "990101001",
        "street=990101002 community=990101002001",
    )


def test_a_full_export_is_checked_when_pressed_against_the_account_as_it_is_then(
    local_app, monkeypatch
):
    made = keep_downloads(monkeypatch)
    at = app_on("pages/data.py", "district_a", monkeypatch)
    at.session_state["district"] = "990102"  # crafted: the other district
    at.run()
    assert not at.exception
    assert "district=990102" in at.error[0].value
    assert audit(local_app)[-1] == ("district_a", "refused", "990101", "district=990102")
    assert "all_data_990102.xlsx" not in made
    workbook = openpyxl.load_workbook(io.BytesIO(made["all_data_990101.xlsx"]()))
    cells = [
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    assert "990101002001" in cells and "990101001002" in cells
    assert not [cell for cell in cells if cell.startswith("990102")]
    assert audit(local_app)[-1] == ("district_a", "export", "990101", "all_data_990101")
    # The administrator narrows the account to one street before the button is pressed again.
    engine = make_engine(local_app)
    table = Account.__table__
    with engine.begin() as connection:
        connection.execute(
            update(table).where(table.c.name == "district_a").values(scope="990101001")
        )
    with pytest.raises(ScopeRefused):
        made["all_data_990101.xlsx"]()
    assert audit(local_app)[-1] == ("district_a", "refused", "990101", "export")
    accounts.disable_account(engine, "district_a", actor=OPERATOR)
    engine.dispose()
    with pytest.raises(ScopeRefused):
        made["all_data_990101.zip"]()
    assert audit(local_app)[-1] == ("district_a", "refused", "990101", "export: disabled")
