"""One import: read, validate everything, then write all of it in one transaction, or nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import SupportsInt, cast

from sqlalchemy import Connection, Engine, bindparam, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from data_access.analyze import SUMMARY_TABLES, analyze_after_write
from data_access.importing import messages
from data_access.importing.changes import RowChange, Tally, row_line, same
from data_access.importing.messages import Problem
from data_access.importing.readers import Limits, RawTable, ReadResult, Upload, read_uploads
from data_access.importing.specs import KIND_ORDER, TableSpec, kind_of_name
from data_access.importing.validate import (
    CheckedTable,
    Known,
    Problems,
    Progress,
    UnitEnd,
    check_new_months,
    check_scope,
    validate,
)
from data_access.memory import release_memory
from data_access.models import Base
from data_access.outlines import affected_by_boundaries, refresh_outlines
from data_access.partitions import (
    PARTITIONED_TABLE,
    ensure_month_partitions,
    is_partitioned,
    new_months,
    partition_name,
)
from data_access.scope import CODE_LENGTH
from data_access.settings import get_settings
from data_access.sql import upsert
from data_access.summaries import (
    DISSOLUTIONS,
    affected_by_import,
    refresh_burden_summary,
    refresh_grid_staffing_summary,
    refresh_grid_summaries,
    refresh_staffing_summary,
)

logger = logging.getLogger(__name__)

WRITE_CHUNK = 2000
LOOKUP_CHUNK = 500
AUDIT_MESSAGE_LIMIT = 8000


@dataclass(frozen=True)
class PartSummary:
    """What one file (or sheet) brought: rows read, and how many were new, changed or the same,
    and how many had a problem; with the first changed rows (before → after) and new rows.

    compared is False when the rows were not set against the database: an import refused, or
    a file whose reading stopped early.
    """

    file: str
    kind: str
    rows: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    changed_rows: tuple[RowChange, ...] = ()
    new_rows: tuple[RowChange, ...] = ()
    compared: bool = False


@dataclass
class ImportReport:
    status: str  # accepted, refused, failed or checked (validated only, nothing written)
    problems: list[Problem] = field(default_factory=list)
    parts: list[PartSummary] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    total_problems: int = 0  # all problems found; those beyond the cap are counted per kind
    incident: str | None = None  # of an unexpected failure, as logged on the server

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    @property
    def may_confirm(self) -> bool:
        """A check without a problem that found something to write: its preview may be confirmed."""
        return (
            self.status == "checked"
            and not self.problems
            and any(part.inserted or part.updated for part in self.parts)
        )


def run_import(
    engine: Engine,
    uploads: Sequence[Upload],
    *,
    max_bytes: int,
    language: str = "zh",
    dry_run: bool = False,
    progress: Progress | None = None,
    max_rows: int | None = None,
    max_problems: int | None = None,
    max_unzipped: int | None = None,
    account: str | None = None,
    scope_code: str | None = None,
) -> ImportReport:
    """Reads, validates and (unless dry_run or refused) writes the uploads; every attempt is audited.

    account is recorded on every audit row; rows outside scope_code (the importing account's
    area, None for the city) are problems like any other (docs/accounts.md).

    Limits left out come from the settings. Whatever goes wrong, this returns a report: an
    unexpected error is logged here with its traceback and an incident id, audited as failed,
    and reported as one sentence naming the incident.
    """
    settings = get_settings()
    limits = Limits.of(
        max_bytes,
        max_unzipped if max_unzipped is not None else settings.import_max_unzipped_bytes,
        settings.import_max_geojson_bytes,
    )
    try:
        return _run(
            engine,
            uploads,
            limits,
            language,
            dry_run,
            progress,
            max_rows if max_rows is not None else settings.import_max_rows,
            max_problems if max_problems is not None else settings.import_max_problems,
            account,
            scope_code,
        )
    except Exception:
        incident = secrets.token_hex(4)
        logger.exception(
            "import failed: incident %s, files %s", incident, [u.name for u in uploads]
        )
        if not dry_run:
            _audit_failure(engine, uploads, incident, language, account)
        problem = Problem("—", "unexpected", params={"incident": incident})
        return ImportReport("failed", [problem], incident=incident)


def _run(
    engine: Engine,
    uploads: Sequence[Upload],
    limits: Limits,
    language: str,
    dry_run: bool,
    progress: Progress | None,
    max_rows: int,
    max_problems: int,
    account: str | None = None,
    scope_code: str | None = None,
) -> ImportReport:
    read, tables, problems = _read(uploads, limits, progress, max_problems)
    release_memory()
    parts: list[PartSummary] = []
    checked: list[CheckedTable] = []
    summary_rows = 0
    analysed: tuple[str, ...] = ()
    try:
        with engine.connect() as connection:
            try:
                with connection.begin() as transaction:
                    if not dry_run:
                        serialise_imports(connection)
                    known = _known_codes(connection)
                    checked = _check(uploads, tables, known, problems, progress, max_rows)
                    check_scope(checked, scope_code, problems)
                    months = set().union(*(table.months for table in checked))
                    check_new_months(
                        checked,
                        new_months(connection, months),
                        get_settings().import_max_new_months,
                        problems,
                    )
                    release_memory()
                    if dry_run:
                        # The preview: every sound row set against the database, nothing written.
                        parts = _preview(connection, tables, checked, progress)
                        transaction.rollback()
                    elif problems:
                        transaction.rollback()
                    else:
                        written: dict[str, set[str]] = {}
                        parts = _write_all(connection, checked, progress, written)
                        release_memory()
                        summary_rows = refresh_after_import(connection, written)
                        analysed = _analysed_tables(connection, checked, written)
                        _audit(connection, _accepted_entries(checked, parts, language), account)
            finally:
                release_import_lock(connection)
    except ImportBusy:
        problems.add(Problem("—", "import_busy"))
    except WriteFailed as failure:
        problems.add(failure.problem)
    except SQLAlchemyError as exc:
        logger.warning("import refused by the database: %s", _short(exc))
        problems.add(Problem("—", "database_error", params={"error": _short(exc)}))
    listed = problems.listed()
    if dry_run:
        return ImportReport(
            "checked", listed, parts or _read_parts(tables), read.skipped, problems.total
        )
    if problems:
        # Written after the rollback, in a transaction of its own, so that the refusal is on record.
        entries = _refused_entries(uploads, tables, listed, problems.total, language)
        try:
            with engine.begin() as connection:
                _audit(connection, entries, account)
        except SQLAlchemyError as exc:
            logger.warning("refused import not audited: %s", _short(exc))
        return ImportReport("refused", listed, _read_parts(tables), read.skipped, problems.total)
    # Committed: the planner's statistics of a large write, outside anything that could undo it.
    changed = sum(part.inserted + part.updated for part in parts) + summary_rows
    analyze_after_write(engine, analysed + SUMMARY_TABLES, changed)
    return ImportReport("accepted", [], parts, read.skipped)


def _written_tables(checked: Sequence[CheckedTable]) -> tuple[str, ...]:
    """The tables the import wrote: a boundary updates a community or a grid."""
    names = {table.spec.table for table in checked if table.spec.table}
    if any(table.spec.kind == "boundaries" for table in checked):
        names |= {"community", "grid"}
    return tuple(sorted(names))


def _analysed_tables(
    connection: Connection, checked: Sequence[CheckedTable], written: dict[str, set[str]]
) -> tuple[str, ...]:
    """The tables whose statistics the import renews: those it wrote, and of a partitioned
    burden_record only the months it wrote, since an ANALYZE of the table samples every month
    (docs/benchmarks.md, national scale)."""
    names = set(_written_tables(checked))
    if PARTITIONED_TABLE in names and is_partitioned(connection):
        names.discard(PARTITIONED_TABLE)
        months = written.get(MONTHS_WRITTEN, set())
        names |= {partition_name(dt.date.fromisoformat(month)) for month in months}
    return tuple(sorted(names))


def _read(
    uploads: Sequence[Upload], limits: Limits, progress: Progress | None, max_problems: int
) -> tuple[ReadResult, list[RawTable], Problems]:
    """The uploads read into tables in write order, and the problems found while reading."""
    read = read_uploads(uploads, limits)
    if progress:
        progress("read", len(uploads), len(uploads))
    tables = sorted(read.tables, key=lambda t: KIND_ORDER.index(t.kind))
    problems = Problems(max_problems)
    problems.extend(read.problems)
    return read, tables, problems


def _check(
    uploads: Sequence[Upload],
    tables: list[RawTable],
    known: Known,
    problems: Problems,
    progress: Progress | None,
    max_rows: int,
) -> list[CheckedTable]:
    """Every check of every table against the unit codes known; problems go into `problems`."""
    checked, _ = validate(tables, known, progress, problems=problems, max_rows=max_rows)
    if not problems and not any(table.count for table in tables):
        names = ", ".join(u.name for u in uploads) or "—"
        problems.add(Problem(names, "nothing_to_import"))
    return checked


def check_uploads(uploads: Sequence[Upload], known: Known, *, max_bytes: int) -> list[Problem]:
    """The problems run_import would list for the uploads, given the unit codes the database
    holds: every check, without a database."""
    settings = get_settings()
    limits = Limits.of(
        max_bytes, settings.import_max_unzipped_bytes, settings.import_max_geojson_bytes
    )
    _, tables, problems = _read(uploads, limits, None, settings.import_max_problems)
    _check(uploads, tables, known, problems, None, settings.import_max_rows)
    return problems.listed()


def refresh_after_import(connection: Connection, written: dict[str, set[str]]) -> int:
    """Brings the summaries of the districts whose rows were written up to date; rows written.

    written: the codes of the rows written, by kind (community codes for burden, population
    and staff rows).
    """
    affected = affected_by_import(written)
    settings = get_settings()
    rows = 0
    # Memory each refresh freed goes back to the system before the next (docs/security.md).
    if affected.burden:
        rows += refresh_burden_summary(connection, settings, affected.burden)
        release_memory()
    if affected.grids is None or affected.grids:
        rows += refresh_grid_summaries(connection, settings, affected.grids)
        release_memory()
    # Always: a month of new data widens the months the staffing summary covers.
    rows += refresh_staffing_summary(connection, settings, affected.staffing)
    rows += refresh_grid_staffing_summary(connection, affected.grid_staffing)
    outline_districts = affected_by_boundaries(written)
    if outline_districts:
        rows += refresh_outlines(connection, outline_districts)
        release_memory()
    return rows


class ImportBusy(Exception):
    """Another import held the database for longer than an import waits."""


class WriteFailed(Exception):
    """The database refused rows that passed every check: the file and rows it refused."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.key)
        self.problem = problem


IMPORT_LOCK_KEY = 7_263_514  # any constant: the one advisory lock the dashboard's imports take
IMPORT_LOCK_NAME = "community_dashboard_import"
IMPORT_LOCK_WAIT = 300.0


def serialise_imports(connection: Connection, wait: float = IMPORT_LOCK_WAIT) -> None:
    """One import at a time per database, so that what each counts as new or changed is true.

    PostgreSQL's advisory lock ends with the transaction; MySQL's named lock with the session,
    so it is released before the connection goes back to the pool (release_import_lock).
    Polled rather than waited on, so that no statement outlives the statement timeout.
    """
    backend = connection.dialect.name
    if backend == "postgresql":
        statement = text("SELECT pg_try_advisory_xact_lock(:key)").bindparams(key=IMPORT_LOCK_KEY)
    elif backend in ("mysql", "mariadb"):
        statement = text("SELECT GET_LOCK(:name, 0)").bindparams(name=IMPORT_LOCK_NAME)
    else:
        return  # SQLite: one writer at a time by design; the busy timeout waits for it
    deadline = time.monotonic() + wait
    while not connection.execute(statement).scalar():
        if time.monotonic() > deadline:
            raise ImportBusy
        time.sleep(0.2)
    if backend != "postgresql":
        connection.info["import_lock"] = True


def release_import_lock(connection: Connection) -> None:
    """MySQL's named lock outlives the transaction: released before the connection is pooled."""
    if connection.info.pop("import_lock", False) and not connection.closed:
        with connection.begin():
            connection.execute(text("SELECT RELEASE_LOCK(:name)").bindparams(name=IMPORT_LOCK_NAME))


def _audit_failure(
    engine: Engine,
    uploads: Sequence[Upload],
    incident: str,
    language: str,
    account: str | None = None,
) -> None:
    message = messages.text(language, "import.audit.failed", incident=incident)
    entries = [
        AuditEntry(
            kind_of_name(PurePosixPath(u.name).stem) or "unknown",
            u.name,
            None,
            0,
            "failed",
            message,
        )
        for u in uploads
    ] or [AuditEntry("unknown", "—", None, 0, "failed", message)]
    try:
        with engine.begin() as connection:
            _audit(connection, entries, account)
    except Exception:  # the database may be what failed; the log has the incident
        logger.exception("failed import not audited: incident %s", incident)


def _short(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0][:300]


def _read_parts(tables: Iterable[RawTable]) -> list[PartSummary]:
    return [PartSummary(t.file, t.kind, t.count) for t in tables]


# ---------------------------------------------------------------------------------------------
# Reading what the database holds


def _known_codes(connection: Connection) -> Known:
    known = Known()
    for level in CODE_LENGTH:  # the unit tables are named after their level
        table = Base.metadata.tables[level]
        known.codes[level] = set(connection.execute(select(table.c.code)).scalars())
        if "dissolved_on" in table.c:  # the few units that end (validate.py, units that end)
            ended = select(table.c.code, table.c.dissolved_on, table.c.successor_code, table.c.name)
            for code, day, successor, name in connection.execute(
                ended.where(table.c.dissolved_on.is_not(None))
            ):
                known.ends[code] = UnitEnd(_as_date(day), successor, name)
    return known


def _as_date(value: object) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else cast(dt.date, value)


def _lookup_column(table: CheckedTable) -> str:
    """Existing rows are looked up by their code, or by community for keys made of several columns."""
    key = table.spec.key
    return key[0] if len(key) == 1 else "community_code"


def _existing_rows(
    connection: Connection,
    table: CheckedTable,
    records: list[dict[str, object]],
    columns: list[str],
) -> dict[tuple[object, ...], dict[str, object]]:
    """The stored rows with the keys of a chunk of records: key → {column: value}."""
    db_table = Base.metadata.tables[table.spec.table]
    lookup = _lookup_column(table)
    wanted = sorted({str(r[lookup]) for r in records})
    # Narrowed by the other key columns too (the chunk's months, say), when they take few values.
    narrowing = []
    for column in table.spec.key:
        values = {r[column] for r in records}
        if column != lookup and len(values) <= LOOKUP_CHUNK:
            narrowing.append(db_table.c[column].in_(sorted(values, key=str)))
    found: dict[tuple[object, ...], dict[str, object]] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        statement = select(*(db_table.c[c] for c in columns)).where(
            db_table.c[lookup].in_(chunk), *narrowing
        )
        for row in connection.execute(statement).mappings():
            stored = dict(row)
            found[tuple(stored[k] for k in table.spec.key)] = stored
    return found


# ---------------------------------------------------------------------------------------------
# Writing, chunk by chunk: rows are converted again as they are written, never all held at once


def _chunks(
    records: Iterator[tuple[int, dict[str, object]]], size: int
) -> Iterator[tuple[list[int], list[dict[str, object]]]]:
    numbers: list[int] = []
    chunk: list[dict[str, object]] = []
    for number, record in records:
        numbers.append(number)
        chunk.append(record)
        if len(chunk) == size:
            yield numbers, chunk
            numbers, chunk = [], []
    if chunk:
        yield numbers, chunk


def _write_all(
    connection: Connection,
    tables: list[CheckedTable],
    progress: Progress | None,
    written: dict[str, set[str]],
    *,
    write: bool = True,
) -> list[PartSummary]:
    """Every table in dependency order, upserting only the rows that are new or changed; with
    write False, the same comparison of the sound rows without a write (the preview)."""
    total = sum(t.raw.count for t in tables)
    phase = "write" if write else "compare"
    done = 0

    def advance(rows: int) -> None:
        nonlocal done
        done += rows
        if progress:
            progress(phase, done, total)

    parts = []
    for table in tables:
        if table.spec.kind == "boundaries":
            parts.append(_write_boundaries(connection, table, advance, written, write))
        else:
            parts.append(_write_table(connection, table, advance, written, write))
    if progress and not tables:
        progress(phase, 0, 0)
    return parts


def _preview(
    connection: Connection,
    tables: list[RawTable],
    checked: list[CheckedTable],
    progress: Progress | None,
) -> list[PartSummary]:
    """What an import would change, per file: its rows without a problem set against the stored
    rows by key, chunk by chunk, nothing written. A file whose header failed, or whose reading
    stopped, is listed with its rows read only."""
    complete = [table for table in checked if table.complete]
    compared = {
        id(table.raw): part
        for table, part in zip(
            complete, _write_all(connection, complete, progress, {}, write=False), strict=True
        )
    }
    return [compared.get(id(raw)) or PartSummary(raw.file, raw.kind, raw.count) for raw in tables]


def _refused_by_database(
    table: CheckedTable, numbers: list[int], exc: SQLAlchemyError
) -> WriteFailed:
    logger.warning("import of %s refused by the database: %s", table.raw.file, _short(exc))
    return WriteFailed(
        Problem(
            table.raw.file,
            "database_error_rows",
            params={"first": numbers[0], "last": numbers[-1], "error": _short(exc)},
        )
    )


MONTHS_WRITTEN = "burden_months"  # beside the kinds in `written`: the burden months written

# Kinds whose rows belong to a community: the summaries of its district change with them.
COMMUNITY_KEYED = ("burden", "population", "staff")


def _write_table(
    connection: Connection,
    table: CheckedTable,
    advance: Callable[[int], None],
    written: dict[str, set[str]],
    write: bool = True,
) -> PartSummary:
    """Chunk by chunk: new and changed rows upserted; the codes written noted for the summaries
    (docs/architecture.md). With write False, only counted and listed (the preview)."""
    spec = table.spec
    columns = list(dict.fromkeys([*spec.key, *table.columns]))
    updates = [c for c in columns if c not in spec.key]
    db_table = Base.metadata.tables[spec.table]
    tally = Tally(spec, table.headers, updates)
    rows = 0
    code_column = "community_code" if spec.kind in COMMUNITY_KEYED else "code"
    noted = written.setdefault(spec.kind, set())
    months: set[dt.date] = set()  # whose partitions are known to exist (data_access/partitions.py)
    records_of = table.records() if write else table.sound_records()
    for numbers, records in _chunks(records_of, WRITE_CHUNK):
        existing = _existing_rows(connection, table, records, columns)
        changed = []
        for number, record in zip(numbers, records, strict=True):
            stored = existing.get(tuple(record[k] for k in spec.key))
            if tally.compare(number, record, stored):
                changed.append(record)
                if stored is not None:
                    # A person moved to another community leaves the old one's figures too.
                    noted.add(str(stored.get(code_column) or ""))
            if _dissolution_changed(stored, record):
                written.setdefault(DISSOLUTIONS, set()).add(str(record["code"]))
        noted.update(str(r.get(code_column) or "") for r in changed)
        if changed and write:
            try:
                if spec.table == PARTITIONED_TABLE:
                    new_months = {cast(dt.date, r["period"]) for r in changed} - months
                    ensure_month_partitions(connection, new_months)
                    months |= new_months
                    written.setdefault(MONTHS_WRITTEN, set()).update(
                        m.isoformat() for m in new_months
                    )
                upsert(connection, db_table, changed, spec.key, updates)
            except SQLAlchemyError as exc:
                raise _refused_by_database(table, numbers, exc) from exc
        rows += len(records)
        advance(len(records))
    return _part(table, rows, tally)


def _part(table: CheckedTable, rows: int, tally: Tally) -> PartSummary:
    return PartSummary(
        table.raw.file,
        table.spec.kind,
        rows + table.refused.count,
        tally.new,
        tally.changed,
        tally.unchanged,
        table.refused.count,
        tuple(tally.changed_rows),
        tuple(tally.new_rows),
        compared=True,
    )


def _dissolution_changed(stored: dict[str, object] | None, record: dict[str, object]) -> bool:
    """True when a unit's row sets, moves or clears its dissolution date (the summaries per month
    then change: summaries.affected_by_import)."""
    if "dissolved_on" not in record:
        return False
    before = stored.get("dissolved_on") if stored is not None else None
    return (
        not same(before, record["dissolved_on"])
        if before is not None
        else (record["dissolved_on"] is not None)
    )


def _write_boundaries(
    connection: Connection,
    table: CheckedTable,
    advance: Callable[[int], None],
    written: dict[str, set[str]],
    write: bool = True,
) -> PartSummary:
    """A boundary replaces the boundary of the community (12 digits) or grid (15 digits) of its
    code: never new, since its unit exists; with write False, only counted (the preview)."""
    tally = Tally(table.spec, table.headers, ["boundary"])
    rows = 0
    records_of = table.records() if write else table.sound_records()
    for numbers, records in _chunks(records_of, LOOKUP_CHUNK):
        written.setdefault("boundaries", set()).update(str(r["code"]) for r in records)
        for level, length in (("community", 12), ("grid", 15)):
            mine = [
                (n, r)
                for n, r in zip(numbers, records, strict=True)
                if len(str(r["code"])) == length
            ]
            if not mine:
                continue
            db_table = Base.metadata.tables[level]
            codes = sorted({str(r["code"]) for _, r in mine})
            statement = select(db_table.c.code, db_table.c.boundary).where(
                db_table.c.code.in_(codes)
            )
            stored = {code: boundary for code, boundary in connection.execute(statement)}
            # A unit new in this import has no boundary yet: its boundary is a change.
            changed = [
                {"unit_code": r["code"], "new_boundary": r["boundary"]}
                for n, r in mine
                if tally.compare(n, r, {"boundary": stored.get(str(r["code"]))})
            ]
            if changed and write:
                change = (
                    update(db_table)
                    .where(db_table.c.code == bindparam("unit_code"))
                    .values(boundary=bindparam("new_boundary"))
                )
                try:
                    connection.execute(change, changed)
                except SQLAlchemyError as exc:
                    raise _refused_by_database(table, numbers, exc) from exc
        rows += len(records)
        advance(len(records))
    return _part(table, rows, tally)


# ---------------------------------------------------------------------------------------------
# The audit trail: one import_batch row per file (or sheet), accepted, refused or failed


@dataclass(frozen=True)
class AuditEntry:
    kind: str
    file_name: str
    sha256: str | None
    rows: int
    status: str
    message: str


def _audit(connection: Connection, entries: list[AuditEntry], account: str | None = None) -> None:
    if not entries:
        return
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    connection.execute(
        Base.metadata.tables["import_batch"].insert(),
        [
            {
                "kind": e.kind,
                "file_name": e.file_name[:255],
                "sha256": e.sha256,
                "rows": e.rows,
                "imported_at": now,
                "status": e.status,
                "message": e.message[:AUDIT_MESSAGE_LIMIT],
                "account": account,
            }
            for e in entries
        ],
    )


def _accepted_entries(
    tables: list[CheckedTable], parts: list[PartSummary], language: str
) -> list[AuditEntry]:
    return [
        AuditEntry(
            table.raw.kind,
            table.raw.file,
            table.raw.sha256,
            part.rows,
            "accepted",
            accepted_message(table.spec, part, language),
        )
        for table, part in zip(tables, parts, strict=True)
    ]


def accepted_message(spec: TableSpec, part: PartSummary, language: str) -> str:
    """The record of a file written: its counts, then the first changed rows (before → after)
    and the keys of the first new ones, as the import history shows them."""
    lines = [
        messages.text(
            language,
            "import.audit.accepted",
            inserted=part.inserted,
            updated=part.updated,
            unchanged=part.unchanged,
        )
    ]
    if part.changed_rows:
        lines.append(messages.text(language, "import.audit.changed_rows", n=len(part.changed_rows)))
        lines += [row_line(spec, row, language) for row in part.changed_rows]
    if part.new_rows:
        keys = messages.text(language, "import.preview.keys_separator").join(
            row.key for row in part.new_rows
        )
        lines.append(
            messages.text(language, "import.audit.new_rows", n=len(part.new_rows), keys=keys)
        )
    return "\n".join(lines)


def _refused_entries(
    uploads: Sequence[Upload],
    tables: list[RawTable],
    problems: list[Problem],
    total: int,
    language: str,
) -> list[AuditEntry]:
    """One refused row per file: its own problems, or a note that other files had some."""
    by_file: dict[str, list[Problem]] = {}
    for problem in problems:
        by_file.setdefault(problem.file, []).append(problem)
    entries = []
    for table in tables:
        entries.append(
            _refused(
                table.kind,
                table.file,
                table.sha256,
                table.count,
                by_file.pop(table.file, []),
                language,
            )
        )
    # Files that never became a table: unreadable, too large, of no known kind, or the database.
    for file, file_problems in by_file.items():
        kind = kind_of_name(PurePosixPath(file).stem) or "unknown"
        entries.append(_refused(kind, file, _sha_of(uploads, file), 0, file_problems, language))
    return entries


def _listed_as(problem: Problem) -> int:
    """How many problems a listed one stands for: a "more" line counts those it leaves out."""
    return int(cast(SupportsInt, problem.params.get("n", 1))) if problem.key == "more" else 1


def _refused(
    kind: str, file: str, sha256: str | None, rows: int, problems: list[Problem], language: str
) -> AuditEntry:
    if problems:
        count = sum(_listed_as(p) for p in problems)
        lines = [messages.text(language, "import.audit.refused", n=count)]
        lines += [messages.line(p, language) for p in problems[:50]]
        message = "\n".join(lines)
    else:
        message = messages.text(language, "import.audit.refused_other")
    return AuditEntry(kind, file, sha256, rows, "refused", message)


def _sha_of(uploads: Sequence[Upload], file: str) -> str | None:
    for upload in uploads:
        if upload.name == file and upload.data is not None:
            return hashlib.sha256(upload.data).hexdigest()
    return None
