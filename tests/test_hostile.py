"""Hostile input (issue 11): the corpus of tests/hostile_corpus.py, each case refused with its
message in a memory-capped subprocess, nothing written and the attempt audited; the checks
below the import that need no database; failures that become one sentence and an incident id."""

from __future__ import annotations

import codecs
import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from data_access.db import make_engine
from data_access.importing import Upload, message, run_import
from data_access.importing import runner as runner_module
from data_access.importing import validate as validate_module
from data_access.importing.readers import RawTable, ReadProblem, choose_encoding, read_uploads
from data_access.importing.runner import ImportBusy, serialise_imports
from data_access.importing.validate import MAX_SHORT_ROWS, Known, Problems, validate
from data_access.models import Base
from tests.hostile_corpus import (
    BURDEN_HEADER,
    CASES,
    COMMUNITY,
    _row,
    _sheet_xml,
    burden_csv,
    shared_strings_flood,
    sheet_junk_flood,
    short_rows,
    xlsx,
)

ROOT = Path(__file__).resolve().parent.parent
MEMORY_MB = 1024


def data_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in Base.metadata.tables.items()
            if name != "import_batch"
        }


def audit_statuses(engine: Engine) -> list[str]:
    table = Base.metadata.tables["import_batch"]
    with engine.connect() as connection:
        return list(connection.execute(select(table.c.status).order_by(table.c.id)).scalars())


# ---------------------------------------------------------------------------------------------
# The corpus, in a subprocess whose address space is capped at 1 GB


def test_every_case_is_refused_within_a_gigabyte_and_nothing_changes(backend, city_url, city):
    cases = [c for c in CASES if backend == "sqlite" or c.database]
    before = data_counts(city)
    done = subprocess.run(
        [sys.executable, "-m", "tests.hostile_corpus", city_url, *(c.name for c in cases)],
        cwd=ROOT,
        env={**os.environ, "HOSTILE_MEMORY_MB": str(MEMORY_MB), "OPENBLAS_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = {r["case"]: r for r in json.loads(done.stdout)}
    for case in cases:
        result = results[case.name]
        assert result["status"] == "refused", result
        assert case.key in result["keys"], result
        assert result["audit"] and set(result["audit"]) == {"refused"}, result
        assert result["seconds"] < 60, result
    assert data_counts(city) == before


# ---------------------------------------------------------------------------------------------
# Below the database: encodings, caps, workbooks


def test_one_encoding_per_file():
    utf8 = "区代码,区名称\n990101,东城区甲\n".encode()
    gbk = "区代码,区名称\n990101,东城区甲\n".encode("gbk")
    assert choose_encoding(utf8) == ("utf-8", None)
    assert choose_encoding(codecs.BOM_UTF8 + utf8) == ("utf-8-sig", None)
    assert choose_encoding(gbk) == ("gb18030", None)
    # UTF-8 lines, then a GBK line: refused at its line, not read as GB18030 mojibake.
    assert choose_encoding(utf8 + "990102,西城区\n".encode("gbk")) == (None, 3)
    assert choose_encoding("区代码\n".encode("utf-16")) == (None, None)


def test_problems_beyond_the_cap_are_counted_per_kind():
    lines = [f"{COMMUNITY},forms,{2020 + n // 12}-{n % 12 + 1:02d},-1\n" for n in range(30)]
    data = ("社区代码,类别,月份,数量\n" + "".join(lines)).encode()
    read = read_uploads([Upload.of("burden.csv", data)], 2**20)
    known = Known()
    known.codes["community"].add(COMMUNITY)
    _, problems = validate(read.tables, known, problems=Problems(5))
    listed = problems.listed()
    assert problems.total == 30
    assert [(p.key, p.row) for p in listed] == [("negative", n) for n in range(2, 7)] + [
        ("more", None)
    ]
    assert listed[-1].params["n"] == 25
    assert message(listed[-1], "en") == "25 more problems of this kind: " + message(listed[0], "en")


def test_problems_past_the_cap_are_never_built_and_short_rows_stop_the_file(monkeypatch):
    built = []

    class Counted(validate_module.Problem):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            built.append(self.key)

    monkeypatch.setattr(validate_module, "Problem", Counted)
    known = Known()
    known.codes["community"].add(COMMUNITY)
    # 5,000 rows of four bad cells each: 20,000 problems, 50 listed, one more of each kind.
    data = BURDEN_HEADER.encode() + b"1,a,b,c\n" * 5000
    read = read_uploads([Upload.of("burden.csv", data)], 2**20)
    _, problems = validate(read.tables, known, problems=Problems(50))
    assert problems.total == 20_000
    assert len(built) == problems.built == 50 + 4
    assert (
        sorted(p.params["n"] for p in problems.listed() if p.key == "more")
        == [4987] * 2 + [4988] * 2
    )
    # Rows that end before their required columns: the file stops after MAX_SHORT_ROWS of them.
    built.clear()
    read = read_uploads([Upload.of("burden.csv", short_rows(50_000))], 2**20)
    _, problems = validate(read.tables, known, problems=Problems(50))
    # code_length and required past the cap, and the stop
    assert len(built) == problems.built == 50 + 2 + 1
    stop = [p for p in problems.listed() if p.key == "short_rows_stop"]
    assert [(p.row, p.params) for p in stop] == [(MAX_SHORT_ROWS + 2, {"n": MAX_SHORT_ROWS})]
    assert read.tables[0].count == MAX_SHORT_ROWS + 1
    assert problems.total == 4 * MAX_SHORT_ROWS + 1
    assert "stopped" not in message(stop[0], "en") and "not read" in message(stop[0], "en")


def test_workbook_caps_refuse_before_holding(monkeypatch):
    from data_access.importing import xlsx as xlsx_module

    monkeypatch.setattr(xlsx_module, "MAX_SHARED_STRINGS", 100)
    monkeypatch.setattr(xlsx_module, "MAX_OTHER_ELEMENTS", 100)
    limits = 2**20
    for data, key in (
        (shared_strings_flood(101), "xlsx_shared_strings"),
        (sheet_junk_flood(101), "xlsx_elements"),
    ):
        read = read_uploads([Upload.of("burden.xlsx", data)], limits)
        problems = read.problems + [
            error.problem for table in read.tables for error in _walk_errors(table)
        ]
        assert [p.key for p in problems] == [key]
        assert message(problems[0], "zh").startswith("工作")
    # At the caps a workbook is read: 100 shared strings, 100 elements besides rows (the
    # sheet's <dimension> and 99 more).
    for data in (shared_strings_flood(100), sheet_junk_flood(99)):
        read = read_uploads([Upload.of("burden.xlsx", data)], limits)
        assert not read.problems and [t.header for t in read.tables] == [
            ["社区代码", "类别", "月份", "数量"]
        ]
        assert list(read.tables[0].rows()) == []
    # A cell's text is capped too, as it is read.
    long_cell = _row(1, *(("A1", "社区代码"),)) + _row(2, ("A2", "x" * 40_000))
    read = read_uploads([Upload.of("burden.xlsx", xlsx(_sheet_xml(long_cell)))], limits)
    found = read.problems + [e.problem for t in read.tables for e in _walk_errors(t)]
    assert [(p.key, p.row) for p in found] == [("xlsx_cell_too_long", 2)]


def _walk_errors(table: RawTable) -> list[ReadProblem]:
    try:
        list(table.rows())
    except ReadProblem as error:
        return [error]
    return []


def test_workbook_is_read_by_its_cells_not_its_declared_range(city):
    rows = _row(1, ("A1", "社区代码"), ("B1", "类别"), ("C1", "月份"), ("D1", "数量"))
    rows += _row(2, ("A2", COMMUNITY), ("B2", "报表"), ("C2", "2025-07"), ("D2", "4"))
    rows += _row(900_000, ("A900000", COMMUNITY), ("B900000", "会议"), ("C900000", "2025-07"))
    rows = rows.replace('<c r="D2" t="inlineStr"><is><t>4</t></is></c>', '<c r="D2"><v>4</v></c>')
    data = xlsx(_sheet_xml(rows, "A1:XFD1048576"))
    started = time.perf_counter()
    report = run_import(city, [Upload.of("burden.xlsx", data)], max_bytes=2**20)
    assert time.perf_counter() - started < 10
    assert [(p.key, p.row, p.column) for p in report.problems] == [("required", 900_000, "数量")]
    good = xlsx(_sheet_xml(rows.split('<row r="900000">')[0], "A1:XFD1048576"))
    report = run_import(city, [Upload.of("burden.xlsx", good)], max_bytes=2**20)
    assert report.accepted, report.problems
    assert [(p.rows, p.inserted) for p in report.parts] == [(1, 1)]


def test_row_limit_stops_reading_early(city):
    report = run_import(
        city, [Upload.of("burden.csv", burden_csv(5_000))], max_bytes=2**20, max_rows=1000
    )
    assert report.status == "refused"
    assert ("too_many_rows", 1002) in [(p.key, p.row) for p in report.problems]


# ---------------------------------------------------------------------------------------------
# Failures: audited, logged with an incident id, one sentence without paths


def test_unexpected_failure_is_audited_logged_and_told_in_one_sentence(city, monkeypatch, caplog):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"boom in {ROOT}")

    monkeypatch.setattr(runner_module, "validate", broken)
    before = data_counts(city)
    with caplog.at_level(logging.ERROR, logger="data_access.importing.runner"):
        report = run_import(
            city, [Upload.of("burden.csv", burden_csv(3))], max_bytes=2**20, language="en"
        )
    assert report.status == "failed" and report.incident
    [problem] = report.problems
    sentence = message(problem, "en")
    assert report.incident in sentence and str(ROOT) not in sentence and "boom" not in sentence
    assert report.incident in caplog.text and "RuntimeError: boom" in caplog.text
    assert audit_statuses(city)[-1] == "failed"
    assert data_counts(city) == before


def test_cli_import_failure_is_one_sentence(city_url, monkeypatch, capsys, tmp_path):
    from data_access.__main__ import main

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(f"disk trouble at {tmp_path}")

    monkeypatch.setenv("DATABASE_URL", city_url)
    monkeypatch.setattr("data_access.importing.uploads_from_paths", broken)
    path = tmp_path / "burden.csv"
    path.write_bytes(burden_csv(2))
    assert main(["import", str(path), "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("The import failed unexpectedly") and str(tmp_path) not in err


# ---------------------------------------------------------------------------------------------
# Concurrent imports: one at a time per database


def test_imports_are_serialised_per_database(backend, city_url):
    if backend == "sqlite":
        pytest.skip("SQLite has one writer by design")
    first, second = make_engine(city_url), make_engine(city_url)
    try:
        with first.connect() as holder:
            with holder.begin():
                serialise_imports(holder)
                with second.connect() as waiter, waiter.begin(), pytest.raises(ImportBusy):
                    serialise_imports(waiter, wait=0.5)
            runner_module.release_import_lock(holder)
        # Released: two imports at once now count their rows truly (one inserts, one finds them).
        results = []

        def one() -> None:
            results.append(
                run_import(second, [Upload.of("burden.csv", burden_csv(300))], max_bytes=2**20)
            )

        threads = [threading.Thread(target=one) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        parts = sorted((r.parts[0].inserted, r.parts[0].unchanged) for r in results)
        assert parts == [(0, 300), (300, 0)]
    finally:
        first.dispose()
        second.dispose()


# ---------------------------------------------------------------------------------------------
# A database behind a black-holed network: the outage message within seconds, no address shown


@pytest.mark.full  # waits out connection timeouts; tests/test_databases.py loses the server in every run
def test_black_holed_database_gives_the_outage_message_within_seconds(
    backend, small_city_url, monkeypatch, caplog
):
    if backend == "sqlite":
        pytest.skip("an embedded SQLite file has no network to lose")
    from tests.tcp_proxy import TcpProxy
    from tests.test_pages import metric_values, run_app

    url = make_url(small_city_url)
    proxy = TcpProxy((url.host, url.port))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxy.start()
    try:
        first = run_app(proxied, monkeypatch, month="2025-06", lang="en")
        assert metric_values(first)["Residents"] == "55,001"
        proxy.hold()
        started = time.monotonic()
        with caplog.at_level(logging.WARNING):
            lost = run_app(proxied, monkeypatch, month="2025-05", lang="en", district="990102")
        elapsed = time.monotonic() - started
        assert not lost.exception
        assert "cannot be reached" in lost.error[0].value
        assert elapsed < 40, elapsed
        shown = " ".join(e.value for e in (*lost.error, *lost.caption, *lost.markdown))
        assert str(proxy.port) not in shown and "127.0.0.1" not in shown
        assert f"127.0.0.1:{proxy.port}" in caplog.text  # the administrator finds it in the log
    finally:
        proxy.release()
        proxy.stop()


# ---------------------------------------------------------------------------------------------
# One CSV guard for every CSV written


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://127.0.0.1:9/")',
        "@SUM(A1)",
        "+1",
        "-1",
        "\t=1",
        "  =1",
        "\u00a0=1",
        "\u3000=1",
        "\n=1",
        "\r\n@x",
        "＝1+1",
        "＋1",
        "－1",
        "＠SUM(A1)",
    ],
)
def test_every_csv_guards_formulas_and_the_import_reads_them_back(value, tmp_path):

    import pandas as pd

    from data_access.files import csv_bytes, needs_guard, neutralise, plain_csv_bytes, unguard

    assert needs_guard(value) and neutralise(value) == "'" + value
    assert unguard(str(neutralise(value))) == value
    for data in (
        csv_bytes(pd.DataFrame({"name": [value]})),
        plain_csv_bytes(["name"], [[value]]),
    ):
        cell = data.decode("utf-8-sig").split("\r\n", 1)[1]
        assert cell.lstrip('"').startswith("'"), cell
    # A value that is itself a guard before a formula is guarded once more: the round trip holds.
    assert neutralise("'=x") == "''=x" and unguard("''=x") == "'=x"
    assert neutralise("社区") == "社区" and neutralise("'社区") == "'社区"


# ---------------------------------------------------------------------------------------------
# Administration: any password, never echoed; a reader that can only SELECT


def test_users_take_any_password_and_the_reader_only_selects(backend, small_city_url, capsys):
    if backend == "sqlite":
        pytest.skip("SQLite has no users")
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    from data_access.__main__ import main
    from tests.backends import ADMIN_URLS

    password = "p@ss!:word'\"\\%s;-- \t"  # PyMySQL logs in with Latin-1 passwords only
    database = make_url(small_city_url).database or ""
    arguments = ["users", "--admin-url", ADMIN_URLS[backend], "--database", database]
    arguments += ["--reader", "hostile_reader", "--writer", "hostile_writer"]
    arguments += ["--reader-password", password, "--writer-password", password + "!"]
    assert main(arguments) == 0
    printed = capsys.readouterr()
    assert "p@ss" not in printed.out + printed.err
    reader = create_engine(
        make_url(small_city_url).set(username="hostile_reader", password=password)
    )
    try:
        with reader.connect() as connection:
            assert connection.execute(text("SELECT COUNT(*) FROM district")).scalar() == 2
        for statement in (
            "CREATE TEMPORARY TABLE scratch (a INTEGER)",
            "INSERT INTO district (code, name) VALUES ('990199', 'x')",
            "CREATE TABLE scratch2 (a INTEGER)",
        ):
            with pytest.raises(SQLAlchemyError), reader.begin() as connection:
                connection.execute(text(statement))
    finally:
        reader.dispose()
