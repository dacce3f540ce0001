"""What an import changes: each row set against the stored row of its key as new, changed or
unchanged, with the first changed rows as before → after (docs/metrics.md §6, the preview).

The same tally serves the check (`import --check`, the Data page's preview) and the write, so
that the preview says what the write then does; the rows themselves are compared chunk by
chunk in runner.py, which holds the SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from data_access.importing import messages
from data_access.importing.specs import BOOLEAN_LABELS, TableSpec

# Rows listed per file: the changed ones with their changes, the new ones by key.
CHANGED_LISTED = 20
NEW_LISTED = 10
# A changed row lists at most this many of its columns that changed.
COLUMNS_LISTED = 6
# Text longer than this is shown cut; a boundary is shown as this mark, never as its GeoJSON.
SHOWN_LENGTH = 60
GEOMETRY_MARK = "{…}"


@dataclass(frozen=True)
class Change:
    """One column of a changed row: its English name, its header as the file writes it, and
    the stored and imported values (a boundary as GEOMETRY_MARK, long text cut)."""

    column: str
    header: str
    before: object
    after: object


@dataclass(frozen=True)
class RowChange:
    """A row that is new (no changes listed) or changed: its row in the file and its key."""

    row: int
    key: str
    changes: tuple[Change, ...] = ()


def same(stored: object, given: object) -> bool:
    """A stored value equals an imported one: a date read back as a datetime, a boolean as 0/1."""
    if isinstance(stored, dt.datetime):
        stored = stored.date()
    if isinstance(given, bool) or isinstance(stored, bool):
        return stored is not None and given is not None and bool(stored) == bool(given)
    return stored == given


def key_text(values: tuple[object, ...]) -> str:
    """A key as a problem shows it: 990103001002 / forms / 2025-06."""
    return " / ".join(_plain(value) for value in values)


def _plain(value: object) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date) and value.day == 1:
        return value.strftime("%Y-%m")
    return str(value)


@dataclass
class Tally:
    """The rows of one file set against the stored rows: counts, and the first of each kind."""

    spec: TableSpec
    headers: Mapping[str, str]  # English name → header as written in the file
    columns: list[str]  # the columns the file gives, compared with the stored row
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    changed_rows: list[RowChange] = field(default_factory=list)
    new_rows: list[RowChange] = field(default_factory=list)

    def compare(
        self, number: int, record: Mapping[str, object], stored: Mapping[str, object] | None
    ) -> bool:
        """Counts the row; True when it is new or changed, i.e. to be written."""
        if stored is None:
            self.new += 1
            if len(self.new_rows) < NEW_LISTED:
                self.new_rows.append(RowChange(number, self._key(record)))
            return True
        differing = [c for c in self.columns if not same(stored.get(c), record.get(c))]
        if not differing:
            self.unchanged += 1
            return False
        self.changed += 1
        if len(self.changed_rows) < CHANGED_LISTED:
            changes = tuple(
                Change(
                    c,
                    self.headers.get(c, c),
                    self._kept(c, stored.get(c)),
                    self._kept(c, record.get(c)),
                )
                for c in differing[:COLUMNS_LISTED]
            )
            self.changed_rows.append(RowChange(number, self._key(record), changes))
        return True

    def _key(self, record: Mapping[str, object]) -> str:
        return key_text(tuple(record.get(name) for name in self.spec.key))

    def _kept(self, column: str, value: object) -> object:
        """A value as the preview keeps it: no boundary's GeoJSON, no long text, no datetime."""
        kind = self.spec.by_name[column].kind if column in self.spec.by_name else ""
        if kind == "geometry":
            return None if value is None else GEOMETRY_MARK
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, str) and len(value) > SHOWN_LENGTH:
            return value[: SHOWN_LENGTH - 1] + "…"
        return value


# ---------------------------------------------------------------------------------------------
# In words, for the command line, the Data page and the audit trail


def value_text(spec: TableSpec, column: str, value: object, language: str) -> str:
    """A stored or imported value for a reader: — for none, 是/否, a choice by its Chinese label
    in Chinese, a month as YYYY-MM, numbers as written."""
    if value is None:
        return "—"
    definition = spec.by_name.get(column)
    if isinstance(value, bool):
        return BOOLEAN_LABELS[value] if language == "zh" else str(value).lower()
    if definition is not None and definition.labels and language == "zh":
        return str(definition.labels.get(str(value), value))
    if isinstance(value, dt.date):
        period = definition is not None and definition.kind == "period"
        return value.strftime("%Y-%m") if period else value.isoformat()
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def changes_text(spec: TableSpec, row: RowChange, language: str) -> str:
    """常住人口 8650 → 8700；户数 3120 → 3150."""
    separator = messages.text(language, "import.preview.changes_separator")
    return separator.join(
        messages.text(
            language,
            "import.preview.change",
            column=change.header,
            before=value_text(spec, change.column, change.before, language),
            after=value_text(spec, change.column, change.after, language),
        )
        for change in row.changes
    )


def row_line(spec: TableSpec, row: RowChange, language: str) -> str:
    """One changed or new row: 第 13 行 990103001002 / forms / 2025-06：数量 21 → 19."""
    if not row.changes:
        return messages.text(language, "import.preview.new_row", row=row.row, record=row.key)
    return messages.text(
        language,
        "import.preview.changed_row",
        row=row.row,
        record=row.key,
        changes=changes_text(spec, row, language),
    )
