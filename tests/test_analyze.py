"""The planner's statistics after large writes (data_access/analyze.py): gathered after an import
or a refresh that wrote more than ANALYZE_MIN_ROWS rows, and never at the cost of the write."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, inspect, select, text

import data_access.analyze as analyze
from data_access.__main__ import main
from data_access.analyze import analyze_after_write
from data_access.importing.readers import Upload
from data_access.importing.runner import run_import
from data_access.models import BurdenRecord

NEW_MONTH = [("990101001001", "work_items", "2025-07", 11), ("990102001001", "forms", "2025-07", 3)]


def _burden_csv(rows: list[tuple[str, str, str, int]]) -> Upload:
    lines = ["community_code,category,period,count"]
    lines += [f"{code},{category},{period},{count}" for code, category, period, count in rows]
    return Upload.of("burden.csv", ("\n".join(lines) + "\n").encode())


def _analysed(engine: Engine, column: str = "last_analyze") -> set[str]:
    """PostgreSQL: the tables an ANALYZE (not the autovacuum's) has sampled, or with
    column="last_vacuum" a VACUUM has cleaned."""
    assert column in ("last_analyze", "last_vacuum")
    with engine.connect() as connection:
        statement = text(f"SELECT relname FROM pg_stat_user_tables WHERE {column} IS NOT NULL")
        return set(connection.execute(statement).scalars())


def test_refresh_analyses_the_summaries_only_after_a_large_write(
    backend, city, city_url, monkeypatch, capsys
):
    monkeypatch.setenv("DATABASE_URL", city_url)
    monkeypatch.setenv("DATABASE_WRITER_URL", city_url)
    before = _analysed(city) if backend == "postgresql" else set()
    assert main(["refresh"]) == 0  # the small city's summaries: a few hundred rows
    if backend == "postgresql":
        assert _analysed(city) == before
    monkeypatch.setattr(analyze, "ANALYZE_MIN_ROWS", 10)
    assert main(["refresh"]) == 0
    capsys.readouterr()
    if backend == "postgresql":
        assert _analysed(city) - before == set(analyze.SUMMARY_TABLES)
        assert set(analyze.SUMMARY_TABLES) <= _analysed(city, "last_vacuum")
    if backend == "sqlite":  # never analysed: no statistics table appears
        assert not inspect(city).has_table("sqlite_stat1")


def test_analyze_runs_on_the_server_backends_above_the_threshold(backend, city):
    server = backend != "sqlite"
    assert analyze_after_write(city, ["burden_record", "grid"], analyze.ANALYZE_MIN_ROWS + 1) is (
        server
    )
    assert not analyze_after_write(city, ["burden_record"], analyze.ANALYZE_MIN_ROWS)
    # A failure is logged and reported, never raised.
    assert not analyze_after_write(city, ["no_such_table"], analyze.ANALYZE_MIN_ROWS + 1)


def test_a_large_import_is_analysed_and_a_failed_analyze_keeps_it(
    backend, city, monkeypatch, caplog
):
    monkeypatch.setattr(analyze, "ANALYZE_MIN_ROWS", 1)
    report = run_import(city, [_burden_csv(NEW_MONTH)], max_bytes=10**6)
    assert report.accepted, report.problems
    if backend == "postgresql":  # burden_record: the partition of the month written alone
        analysed = _analysed(city)
        assert {"burden_record_2025_07", "burden_summary", "staffing_summary"} <= analysed
        assert not {"burden_record", "burden_record_2025_06"} & analysed
    # The statistics fail (a table that is not there): the import stands all the same.
    monkeypatch.setattr(
        "data_access.importing.runner._written_tables", lambda checked: ("no_such_table",)
    )
    report = run_import(city, [_burden_csv([(*NEW_MONTH[0][:3], 12)])], max_bytes=10**6)
    assert report.accepted, report.problems
    with city.connect() as connection:
        july = connection.execute(
            select(func.sum(BurdenRecord.count)).where(BurdenRecord.period >= dt.date(2025, 7, 1))
        ).scalar_one()
    assert july == 12 + 3
    if backend != "sqlite":
        assert "ANALYZE" in caplog.text
