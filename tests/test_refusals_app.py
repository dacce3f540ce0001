"""Refusals as one sentence on every page (AppTest, SQLite), and the admission page and export as
a street account sees them: no district applications (docs/accounts.md, docs/admission.md).

The small city (tests/small_city.py) with its admission list (tests/admission_city.py); the
street account `east` is 东街道 990101001 in 甲区 990101, the foreign scope 乙区 990102.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from dashboard import navigation
from dashboard.i18n import load_catalog
from dashboard.navigation import PAGES
from data_access import accounts
from data_access.access import Principal, RoleRefused, ScopeRefused
from data_access.db import make_engine
from data_access.figures import staffing as staffing_figures
from data_access.schema import upgrade
from tests.admission_city import build_admission
from tests.small_city import AS_OF, build_small_city
from tests.test_pages import metric_values

pytestmark = pytest.mark.slow

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PASSWORD = "Refusal-pw-42"
ACCOUNTS = {
    "east": ("990101001", "viewer"),
    "community_one": ("990101001001", "viewer"),
    "district_a": ("990101", "viewer"),
    "city_viewer": ("city", "viewer"),
}
FOREIGN = {"district": "990102"}


@pytest.fixture(scope="module")
def city_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('refusals') / 'city.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    build_small_city(engine)
    build_admission(engine)
    for name, (scope, role) in ACCOUNTS.items():
        accounts.add_account(engine, name, scope, role, PASSWORD, actor=accounts.OPERATOR)
    engine.dispose()
    return url


def app_as(
    page: str,
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    url: dict[str, str] | None = None,
    **state: object,
) -> AppTest:
    """One run of the app on `page` signed in as `name`, opened with the URL's query `url`."""
    chosen = next(spec for spec in PAGES if spec.url_path == page)
    monkeypatch.setattr(
        navigation, "PAGES", (chosen, *(spec for spec in PAGES if spec is not chosen))
    )
    at = AppTest.from_file(APP, default_timeout=120)
    scope, role = ACCOUNTS[name]
    at.session_state["_principal"] = Principal(name, None if scope == "city" else scope, role)
    at.session_state["_signed_in_at"] = time.time()
    for key, value in state.items():
        at.session_state[key] = value
    for key, value in (url or {}).items():
        at.query_params[key] = value
    at.run()
    return at


def shown_text(node: object) -> str:
    """Everything the run drew, element by element (protobuf text, exceptions included)."""
    children = getattr(node, "children", None)
    if children:
        return "\n".join(shown_text(child) for child in children.values())
    proto = getattr(node, "proto", None)
    return "" if proto is None else str(proto)


def assert_one_sentence(at: AppTest, sentence: str) -> None:
    """No exception and no trace of one, and the sentence shown as an error."""
    assert not at.exception
    text = shown_text(at._tree)
    assert "Traceback" not in text
    assert ".py" not in text and "/work" not in text and "site-packages" not in text
    assert sentence in [error.value for error in at.error]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.url_path)
def test_a_foreign_scope_in_the_url_is_one_sentence_on_every_page(
    spec, lang, signed_city, monkeypatch
):
    at = app_as(spec.url_path, "east", monkeypatch, url={**FOREIGN, "lang": lang})
    catalog = load_catalog(lang)
    assert_one_sentence(at, catalog["auth.outside_scope"].format(values="district=990102"))
    if spec.url_path == "screen":  # titled with the area it shows: the account's own
        bodies = [element.proto.body for element in at.get("html")]
        assert any('<span class="screen-scope">东街道</span>' in body for body in bodies)
    else:
        assert at.title[0].value == catalog[spec.title_key]
    assert at.session_state["district"] == "990101"
    assert at.session_state["street"] == "990101001"  # the account's own area instead


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    ("refusal", "key"),
    [
        (ScopeRefused(Principal("east", "990101001", "viewer"), "990101"), "auth.refused"),
        (
            RoleRefused(Principal("east", "990101001", "viewer"), "admin", "audit"),
            "auth.role_refused",
        ),
    ],
    ids=["scope", "role"],
)
@pytest.mark.parametrize("page", ["overview", "screen"])
def test_a_refusal_raised_inside_a_page_or_its_fragment_is_one_sentence(
    page, refusal, key, lang, signed_city, monkeypatch
):
    """The Overview runs in app.py's run, the wall screen in a fragment that reruns on its own."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise refusal

    monkeypatch.setattr(staffing_figures, "staffing_total", refuse)
    at = app_as(page, "east", monkeypatch, lang=lang)
    assert_one_sentence(at, load_catalog(lang)[key])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_database_failure_inside_the_wall_screens_fragment_is_one_sentence(
    lang, signed_city, monkeypatch
):
    def fail(*args: object, **kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(staffing_figures, "staffing_total", fail)
    at = app_as("screen", "east", monkeypatch, lang=lang)
    assert_one_sentence(at, load_catalog(lang)["db.query_failed"])


@pytest.mark.parametrize(
    ("name", "state", "shown"),
    [
        ("east", {}, "东街道"),  # no scope: the account's own area, not its district
        ("east", {"rotate": "1"}, None),  # turns through 东街道 and its communities
        ("community_one", {}, "一社区"),
        ("district_a", {"street": "990101001"}, "甲区"),  # a district account: the district
        ("city_viewer", {}, "全市"),
    ],
)
def test_the_wall_screen_opens_at_the_accounts_own_area(
    name, state, shown, signed_city, monkeypatch
):
    url = {key: str(value) for key, value in state.items()}
    if "street" in url:
        url["district"] = "990101"
    at = app_as("screen", name, monkeypatch, url=url)
    assert not at.exception and not at.error
    text = shown_text(at._tree)
    assert "Traceback" not in text
    header = next(html for html in (str(h.proto) for h in at.get("html")) if "screen-scope" in html)
    if shown is None:
        assert any(place in header for place in ("东街道", "一社区", "二社区"))
    else:
        assert f'class=\\"screen-scope\\">{shown}<' in header


# ---------------------------------------------------------------------------------------------
# The admission page and its export: applications are the district's (docs/admission.md)


def table_with_column(at: AppTest, column: str):
    (frame,) = [e.value for e in at.dataframe if column in e.value.columns]
    return frame


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_street_account_sees_its_communities_found_items_and_no_applications(
    lang, signed_city, monkeypatch
):
    at = app_as("admission", "east", monkeypatch, lang=lang, month="2025-06")
    catalog = load_catalog(lang)
    assert not at.exception and not at.error
    assert catalog["admission.applications_kept"] in [info.value for info in at.info]
    labels = [tab.label for tab in at.tabs]
    assert labels == [catalog["admission.tab_changes"], catalog["admission.tab_current"]]
    metrics = metric_values(at)
    assert catalog["admission.kpi.pending"] not in metrics
    assert catalog["admission.kpi.on_time_share"] not in metrics
    assert metrics[catalog["admission.kpi.not_admitted"]] == "3"  # C1's two, C2's one
    (units,) = [e.value for e in at.dataframe if e.key == "admission_units_990101001"]
    assert units.iloc[:, 0].tolist() == ["990101001001", "990101001002"]
    assert units[catalog["col.found_items"]].tolist() == [3, 1]
    assert catalog["col.applications"] not in units.columns
    missing = table_with_column(at, catalog["col.community_code"])
    assert len(missing) == 3
    assert set(missing[catalog["col.community_code"]]) == {"990101001001", "990101001002"}
    text = shown_text(at._tree)
    for application in ("A1", "A3", "A6"):  # the district's, none of them shown
        assert f'"{application}"' not in text


def test_a_district_account_sees_its_districts_and_the_citys_applications(signed_city, monkeypatch):
    at = app_as(
        "admission", "district_a", monkeypatch, month="2025-06", district="990101",
        street="990101001",
    )  # fmt: skip
    assert not at.exception and not at.error
    labels = [tab.label for tab in at.tabs]
    # A1, A2 (the city's), A3, A6, A8 (the city's); A6 waits on the as-of date.
    assert "审批中（1）" in labels and "全部申请（5）" in labels
    metrics = metric_values(at)
    assert metrics["审批中的申请"] == "1"
    (units,) = [e.value for e in at.dataframe if e.key == "admission_units_990101001"]
    assert units["申请数"].tolist() == [3, 3]  # 甲区's own, on each community


def test_a_city_account_sees_every_application(signed_city, monkeypatch):
    at = app_as("admission", "city_viewer", monkeypatch, month="2025-06")
    assert not at.exception and not at.error
    labels = [tab.label for tab in at.tabs]
    assert "审批中（3）" in labels and "全部申请（7）" in labels


def test_the_export_follows_the_account(signed_city, monkeypatch, capsysbinary):
    from tests.test_cli_export import run_export

    base = ["admission", "--level", "community", "--as-of", AS_OF.isoformat()]
    status, rows, _ = run_export(monkeypatch, capsysbinary, signed_city, *base, "--account", "east")
    assert status == 0
    assert list(rows[0]) == [
        "code", "name", "communities", "found_items", "not_admitted", "not_admitted_items",
        "communities_with_not_admitted",
    ]  # fmt: skip
    assert [(row["code"], row["found_items"], row["not_admitted"]) for row in rows] == [
        ("990101001001", "3", "2"),
        ("990101001002", "1", "1"),
    ]
    status, rows, _ = run_export(
        monkeypatch, capsysbinary, signed_city, *base, "--account", "district_a",
        "--scope", "990101001",
    )  # fmt: skip
    assert status == 0
    assert [(row["code"], row["applications"], row["pending"]) for row in rows] == [
        ("990101001001", "3", "1"),
        ("990101001002", "3", "1"),
    ]
    status, _, err = run_export(
        monkeypatch, capsysbinary, signed_city, *base, "--account", "east", "--scope", "990102"
    )
    assert status == 2 and "Traceback" not in err
