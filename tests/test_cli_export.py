"""`python -m data_access export`: columns, semantics and refusals of docs/metrics.md §7."""

from __future__ import annotations

import csv
import io

import pytest

from data_access.__main__ import main
from tests.small_city import AS_OF


def run_export(
    monkeypatch, capsysbinary, url: str, *args: str
) -> tuple[int, list[dict[str, str]], str]:
    monkeypatch.setenv("DATABASE_URL", url)
    status = main(["export", *args])
    captured = capsysbinary.readouterr()
    text = captured.out.decode("utf-8-sig")
    return status, list(csv.DictReader(io.StringIO(text))), captured.err.decode()


def test_staffing_export_by_street(small_city_url, monkeypatch, capsysbinary):
    status, rows, _ = run_export(
        monkeypatch, capsysbinary, small_city_url,
        "staffing", "--level", "street", "--scope", "990101", "--as-of", AS_OF.isoformat(),
    )  # fmt: skip
    assert status == 0
    assert list(rows[0]) == [
        "code", "name", "communities", "resident_population", "counted_workers", "per_10k",
        "required", "gap", "communities_meeting", "licensed_rate", "urban_communities",
        "villages", "urban_population", "urban_counted_workers", "per_10k_all",
    ]  # fmt: skip
    first = dict(rows[0])
    # No villages: per 10,000 of the urban communities and of all are one figure.
    assert first.pop("per_10k") == first.pop("per_10k_all")
    assert float(rows[0]["per_10k"]) == pytest.approx(23 / 14000 * 10000, rel=1e-12)
    assert float(first.pop("licensed_rate")) == pytest.approx(8 / 23, rel=1e-12)
    assert first == {
        "urban_communities": "2",
        "villages": "0",
        "urban_population": "14000",
        "urban_counted_workers": "23",
        "code": "990101001",
        "name": "东街道",
        "communities": "2",
        "resident_population": "14000",
        "counted_workers": "23",
        "required": "27",
        "gap": "4",
        "communities_meeting": "0",
    }
    assert [row["gap"] for row in rows] == ["4", "24"]  # positive community gaps only


def test_staffing_export_of_communities_leaves_unknown_empty(
    small_city_url, monkeypatch, capsysbinary
):
    status, rows, _ = run_export(
        monkeypatch, capsysbinary, small_city_url,
        "staffing", "--level", "community", "--as-of", "2024-06-30",
    )  # fmt: skip
    assert status == 0
    by_code = {row["code"]: row for row in rows}
    assert len(rows) == 5
    assert by_code["990101002001"]["resident_population"] == ""  # no population before 2025
    assert by_code["990101002001"]["per_10k"] == ""
    assert by_code["990101001001"]["resident_population"] == "9000"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["staffing", "--level", "district", "--scope", "990101001"], "no units at district level"),
        (["wages", "--level", "district"], "table must be one of"),
        (["staffing", "--level", "street", "--as-of", "2025-13-01"], "month must be in 1..12"),
        (["staffing", "--level", "street", "--scope", "99x"], "not a unit code"),
    ],
)
def test_export_refusals(args, message, small_city_url, monkeypatch, capsysbinary):
    status, rows, err = run_export(monkeypatch, capsysbinary, small_city_url, *args)
    assert status == 2
    assert rows == []
    assert message in err
