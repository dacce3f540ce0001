"""One import: read, validate everything, then write all of it in one transaction, or nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError

from data_access.importing import messages
from data_access.importing.messages import Problem
from data_access.importing.readers import RawTable, Upload, read_uploads
from data_access.importing.specs import KIND_ORDER, kind_of_name
from data_access.importing.validate import CheckedTable, Known, Progress, validate
from data_access.models import Base
from data_access.scope import CODE_LENGTH
from data_access.settings import get_settings
from data_access.sql import upsert
from data_access.summaries import affected_districts, refresh_burden_summary

WRITE_CHUNK = 2000
LOOKUP_CHUNK = 500
AUDIT_MESSAGE_LIMIT = 8000


@dataclass(frozen=True)
class PartSummary:
    """What one file (or sheet) brought: rows read, and how many were new, changed or the same."""

    file: str
    kind: str
    rows: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    status: str  # accepted, refused or checked (validated only, nothing written)
    problems: list[Problem] = field(default_factory=list)
    parts: list[PartSummary] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"


def run_import(
    engine: Engine,
    uploads: Sequence[Upload],
    *,
    max_bytes: int,
    language: str = "zh",
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Reads, validates and (unless dry_run or refused) writes the uploads; every attempt is audited."""
    read = read_uploads(uploads, max_bytes)
    if progress:
        progress("read", len(uploads), len(uploads))
    tables = sorted(read.tables, key=lambda t: KIND_ORDER.index(t.kind))
    problems = list(read.problems)
    if not problems and not any(table.rows for table in tables):
        problems.append(Problem(", ".join(u.name for u in uploads) or "—", "nothing_to_import"))
    parts: list[PartSummary] = []
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            checked, found = validate(tables, _known_codes(connection), progress)
            problems += found
            if problems or dry_run:
                transaction.rollback()
            else:
                parts = _write_all(connection, checked, progress)
                refresh_after_import(connection, checked)
                _audit(connection, _accepted_entries(tables, parts, language))
    except SQLAlchemyError as exc:
        problems.append(Problem("—", "database_error", params={"error": _short(exc)}))
    problems.sort(key=Problem.sort_key)
    if dry_run:
        return ImportReport("checked", problems, _read_parts(tables), read.skipped)
    if problems:
        # Written after the rollback, in a transaction of its own, so that the refusal is on record.
        entries = _refused_entries(uploads, tables, problems, language)
        try:
            with engine.begin() as connection:
                _audit(connection, entries)
        except SQLAlchemyError:
            pass  # the database itself failed; the problems are still reported to the caller
        return ImportReport("refused", problems, _read_parts(tables), read.skipped)
    return ImportReport("accepted", [], parts, read.skipped)


def refresh_after_import(connection: Connection, tables: Iterable[CheckedTable]) -> None:
    """Brings the summaries of the districts whose burden rows were written up to date."""
    codes = {
        str(record["community_code"])
        for table in tables
        if table.spec.kind == "burden"
        for record in table.records
    }
    if codes:
        refresh_burden_summary(connection, get_settings(), affected_districts(codes))


def _short(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0][:300]


def _read_parts(tables: Iterable[RawTable]) -> list[PartSummary]:
    return [PartSummary(t.file, t.kind, len(t.rows)) for t in tables]


# ---------------------------------------------------------------------------------------------
# Reading what the database holds


def _known_codes(connection: Connection) -> Known:
    known = Known()
    for level in CODE_LENGTH:  # the unit tables are named after their level
        table = Base.metadata.tables[level]
        known.codes[level] = set(connection.execute(select(table.c.code)).scalars())
    return known


def _lookup_column(table: CheckedTable) -> str:
    """Existing rows are looked up by their code, or by community for keys made of several columns."""
    key = table.spec.key
    return key[0] if len(key) == 1 else "community_code"


def _existing_rows(
    connection: Connection, table_name: str, table: CheckedTable, columns: list[str]
) -> dict[tuple[object, ...], dict[str, object]]:
    """The stored rows with the keys of the file: key → {column: value}."""
    db_table = Base.metadata.tables[table_name]
    lookup = _lookup_column(table)
    wanted = sorted({str(r[lookup]) for r in table.records})
    # Narrowed by the other key columns too (the file's months, say), when they take few values.
    narrowing = []
    for column in table.spec.key:
        values = {r[column] for r in table.records}
        if column != lookup and len(values) <= LOOKUP_CHUNK:
            narrowing.append(db_table.c[column].in_(sorted(values, key=str)))
    found: dict[tuple[object, ...], dict[str, object]] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        statement = select(*(db_table.c[c] for c in columns)).where(
            db_table.c[lookup].in_(chunk), *narrowing
        )
        for row in connection.execute(statement).mappings():
            values = dict(row)
            found[tuple(values[k] for k in table.spec.key)] = values
    return found


def _same(stored: object, given: object) -> bool:
    if isinstance(stored, dt.datetime):
        stored = stored.date()
    if isinstance(given, bool) or isinstance(stored, bool):
        return stored is not None and given is not None and bool(stored) == bool(given)
    return stored == given


# ---------------------------------------------------------------------------------------------
# Writing


def _write_all(
    connection: Connection, tables: list[CheckedTable], progress: Progress | None
) -> list[PartSummary]:
    """Every table in dependency order, upserting only the rows that are new or changed."""
    total = sum(len(t.records) for t in tables)
    done = 0
    parts = []
    for table in tables:
        if table.spec.kind == "boundaries":
            part = _write_boundaries(connection, table)
        else:
            part = _write_table(connection, table)
        parts.append(part)
        done += len(table.records)
        if progress:
            progress("write", done, total)
    return parts


def _write_table(connection: Connection, table: CheckedTable) -> PartSummary:
    spec = table.spec
    columns = list(dict.fromkeys([*spec.key, *table.columns]))
    existing = _existing_rows(connection, spec.table, table, columns)
    inserted, updated, unchanged = [], [], 0
    for record in table.records:
        stored = existing.get(tuple(record[k] for k in spec.key))
        if stored is None:
            inserted.append(record)
        elif all(_same(stored[c], record[c]) for c in table.columns):
            unchanged += 1
        else:
            updated.append(record)
    rows = inserted + updated
    updates = [c for c in columns if c not in spec.key]
    db_table = Base.metadata.tables[spec.table]
    for start in range(0, len(rows), WRITE_CHUNK):
        upsert(connection, db_table, rows[start : start + WRITE_CHUNK], spec.key, updates)
    return PartSummary(
        table.raw.file, spec.kind, len(table.records), len(inserted), len(updated), unchanged
    )


def _write_boundaries(connection: Connection, table: CheckedTable) -> PartSummary:
    """A boundary replaces the boundary of the community (12 digits) or grid (15 digits) of its code."""
    updated, unchanged = 0, 0
    for level, length in (("community", 12), ("grid", 15)):
        records = [r for r in table.records if len(str(r["code"])) == length]
        if not records:
            continue
        db_table = Base.metadata.tables[level]
        codes = sorted({str(r["code"]) for r in records})
        stored: dict[str, object] = {}
        for start in range(0, len(codes), LOOKUP_CHUNK):
            statement = select(db_table.c.code, db_table.c.boundary).where(
                db_table.c.code.in_(codes[start : start + LOOKUP_CHUNK])
            )
            stored.update({code: text for code, text in connection.execute(statement)})
        changed = [
            {"unit_code": r["code"], "new_boundary": r["boundary"]}
            for r in records
            if stored.get(str(r["code"])) != r["boundary"]
        ]
        if changed:
            statement = (
                update(db_table)
                .where(db_table.c.code == bindparam("unit_code"))
                .values(boundary=bindparam("new_boundary"))
            )
            connection.execute(statement, changed)
        updated += len(changed)
        unchanged += len(records) - len(changed)
    return PartSummary(table.raw.file, "boundaries", len(table.records), 0, updated, unchanged)


# ---------------------------------------------------------------------------------------------
# The audit trail: one import_batch row per file (or sheet), accepted or refused


@dataclass(frozen=True)
class AuditEntry:
    kind: str
    file_name: str
    sha256: str | None
    rows: int
    status: str
    message: str


def _audit(connection: Connection, entries: list[AuditEntry]) -> None:
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
            }
            for e in entries
        ],
    )


def _accepted_entries(
    tables: list[RawTable], parts: list[PartSummary], language: str
) -> list[AuditEntry]:
    return [
        AuditEntry(
            table.kind,
            table.file,
            table.sha256,
            part.rows,
            "accepted",
            messages.text(
                language,
                "import.audit.accepted",
                inserted=part.inserted,
                updated=part.updated,
                unchanged=part.unchanged,
            ),
        )
        for table, part in zip(tables, parts, strict=True)
    ]


def _refused_entries(
    uploads: Sequence[Upload], tables: list[RawTable], problems: list[Problem], language: str
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
                len(table.rows),
                by_file.pop(table.file, []),
                language,
            )
        )
    # Files that never became a table: unreadable, too large, of no known kind, or the database.
    for file, file_problems in by_file.items():
        kind = kind_of_name(PurePosixPath(file).stem) or "unknown"
        entries.append(_refused(kind, file, _sha_of(uploads, file), 0, file_problems, language))
    return entries


def _refused(
    kind: str, file: str, sha256: str | None, rows: int, problems: list[Problem], language: str
) -> AuditEntry:
    if problems:
        lines = [messages.text(language, "import.audit.refused", n=len(problems))]
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
