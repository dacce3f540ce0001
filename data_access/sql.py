"""Portable SQL pieces: the one place where SQLite, PostgreSQL and MySQL/MariaDB differ."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Float,
    Integer,
    Select,
    Table,
    and_,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from data_access.models import Community, District, Street
from data_access.scope import CODE_LENGTH, Scope


class ceil_(FunctionElement[int]):
    """CEIL(x) for x >= 0; SQLite has no CEIL unless built with its math functions."""

    type = Integer()
    inherit_cache = True


@compiles(ceil_)
def _ceil_default(element: ceil_, compiler: Any, **kw: Any) -> str:
    return f"CEIL({compiler.process(element.clauses, **kw)})"


@compiles(ceil_, "sqlite")
def _ceil_sqlite(element: ceil_, compiler: Any, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    # CAST(x AS INTEGER) truncates towards zero in SQLite, so add one unless x is whole.
    return (
        f"(CASE WHEN CAST(({value}) AS INTEGER) = ({value}) THEN CAST(({value}) AS INTEGER) "
        f"ELSE CAST(({value}) AS INTEGER) + 1 END)"
    )


class to_float(FunctionElement[float]):
    """x as a double-precision float, so ratios come back as floats on every database."""

    type = Float()
    inherit_cache = True


@compiles(to_float)
def _to_float_default(element: to_float, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DOUBLE PRECISION)"


@compiles(to_float, "sqlite")
def _to_float_sqlite(element: to_float, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS REAL)"


@compiles(to_float, "mysql")
@compiles(to_float, "mariadb")
def _to_float_mysql(element: to_float, compiler: Any, **kw: Any) -> str:
    # A literal with an exponent is a DOUBLE in MySQL, which CAST cannot produce everywhere.
    return f"(({compiler.process(element.clauses, **kw)}) * 1.0E0)"


class add_months_(FunctionElement[Any]):
    """add_months_(day, n): a first-of-month date moved by n months (n may be negative)."""

    type = Date()
    inherit_cache = True


@compiles(add_months_)
def _add_months_default(element: add_months_, compiler: Any, **kw: Any) -> str:
    day, months = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST({day} + {months} * INTERVAL '1 month' AS DATE)"


@compiles(add_months_, "sqlite")
def _add_months_sqlite(element: add_months_, compiler: Any, **kw: Any) -> str:
    day, months = (compiler.process(clause, **kw) for clause in element.clauses)
    # Dates are 'YYYY-MM-DD' text in SQLite; DATE() gives the same form back.
    return f"DATE({day}, {months} || ' months')"


@compiles(add_months_, "mysql")
@compiles(add_months_, "mariadb")
def _add_months_mysql(element: add_months_, compiler: Any, **kw: Any) -> str:
    day, months = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"DATE_ADD({day}, INTERVAL {months} MONTH)"


class on_postgresql_(FunctionElement[bool]):
    """One condition written two ways that select the same rows: `postgresql` there, `other` on
    SQLite and MySQL/MariaDB, for a condition whose best form differs between their planners
    (docs/benchmarks.md, "Population in force"). Only the chosen form is compiled and bound."""

    inherit_cache = True

    def __init__(self, postgresql: ColumnElement[bool], other: ColumnElement[bool]) -> None:
        super().__init__(postgresql, other)
        self._is_implicitly_boolean = True  # a condition as it is, not compared to 1


@compiles(on_postgresql_)
def _on_postgresql_other(element: on_postgresql_, compiler: Any, **kw: Any) -> str:
    _postgresql, other = element.clauses
    return str(compiler.process(other, **kw))


@compiles(on_postgresql_, "postgresql")
def _on_postgresql_itself(element: on_postgresql_, compiler: Any, **kw: Any) -> str:
    postgresql, _other = element.clauses
    return str(compiler.process(postgresql, **kw))


def in_range(code_column: Any, scope: Scope) -> ColumnElement[bool]:
    """Prefix filter on a unit code as a range, which every database answers from an index:
    every unit under the scope's code, dissolved or not (the writers, the full export)."""
    bounds = scope.code_range()
    if bounds is None:
        return literal_column("1") == literal_column("1")
    return and_(code_column >= bounds[0], code_column < bounds[1])


def in_scope(code_column: Any, scope: Scope) -> ColumnElement[bool]:
    """The units of the scope on its as-of date: the code range (in_range) without the units
    dissolved by then, or lying in a street or district dissolved by then (live_on). Every
    query of a figure filters by area through here (docs/metrics.md §2, units that end)."""
    return and_(in_range(code_column, scope), live_on(code_column, scope.as_of))


# The unit tables, by the length of their codes: a code's first 6, 9 and 12 digits name the
# district, street and community that hold it.
_UNITS: tuple[tuple[int, Any], ...] = (
    (CODE_LENGTH["district"], District),
    (CODE_LENGTH["street"], Street),
    (CODE_LENGTH["community"], Community),
)


def live_on(code_column: Any, day: dt.date) -> ColumnElement[bool]:
    """True where the unit of the code — a district, street, community or grid code — and the
    units holding it were not dissolved on or before `day`. Each level is one uncorrelated
    NOT IN of the few units dissolved by then (`ix_<table>_dissolved_on`), read once per
    statement; a code shorter than a level never equals a code of that level."""
    return and_(
        *(
            code_prefix(code_column, length).not_in(
                select(table.code).where(table.dissolved_on <= day)
            )
            for length, table in _UNITS
        )
    )


def live_in_month(community_column: Any, period: Any) -> ColumnElement[bool]:
    """True where the row of a community and a month (`period`, a first-of-month column) counts:
    the community, its street and its district were not dissolved on or before the month's
    last day, the as-of date of that month (dissolved_on < the next month's first day).

    Most rows belong to no community that ends: an uncorrelated NOT IN of the few that do
    answers them once per statement, and only their rows look their days up."""
    ending = _ending_communities()
    following = add_months_(period, 1)
    return or_(
        community_column.not_in(ending.where(_any_dissolved())),
        ~exists(
            ending.where(
                Community.code == community_column,
                or_(
                    Community.dissolved_on < following,
                    Street.dissolved_on < following,
                    District.dissolved_on < following,
                ),
            )
        ),
    )


def _ending_communities() -> Select[Any]:
    """SELECT community.code with the community's street and district joined."""
    return (
        select(Community.code)
        .join(Street, Street.code == Community.street_code)
        .join(District, District.code == Street.district_code)
    )


def _any_dissolved() -> ColumnElement[bool]:
    return or_(
        Community.dissolved_on.is_not(None),
        Street.dissolved_on.is_not(None),
        District.dissolved_on.is_not(None),
    )


def code_prefix(code_column: Any, length: int) -> ColumnElement[str]:
    """The first `length` characters of a code: the code of its ancestor at that level."""
    if length not in CODE_LENGTH.values():
        raise ValueError(f"not a code length: {length}")
    # A literal length keeps GROUP BY and SELECT textually identical on PostgreSQL.
    return func.substr(code_column, 1, literal_column(str(length)))


def greatest_(first: Any, second: Any) -> ColumnElement[Any]:
    """The larger of two non-null values (SQLite spells GREATEST as MAX)."""
    return case((first > second, first), else_=second)


def sum_positive(value: Any) -> ColumnElement[Any]:
    return func.sum(case((value > 0, value), else_=0))


def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def safe_ratio(numerator: Any, denominator: Any, scale: float = 1.0) -> ColumnElement[Any]:
    """numerator / denominator as a float, NULL when the denominator is 0 or NULL."""
    return to_float(numerator) * scale / to_float(func.nullif(denominator, 0))


def _upsert_on_conflict(insert_of: Any) -> Any:
    """SQLite and PostgreSQL: INSERT … ON CONFLICT (key) DO UPDATE SET col = excluded.col."""

    def build(table: Table, keys: Sequence[str], updates: Sequence[str]) -> Any:
        statement = insert_of(table)
        if not updates:
            return statement.on_conflict_do_nothing(index_elements=list(keys))
        return statement.on_conflict_do_update(
            index_elements=list(keys), set_={c: statement.excluded[c] for c in updates}
        )

    return build


def _upsert_mysql(table: Table, keys: Sequence[str], updates: Sequence[str]) -> Any:
    """MySQL and MariaDB: INSERT … ON DUPLICATE KEY UPDATE col = VALUES(col)."""
    statement = mysql.insert(table)
    columns = updates or keys[:1]  # updating a key to itself is MySQL's way to do nothing
    return statement.on_duplicate_key_update({c: statement.inserted[c] for c in columns})


_UPSERTS = {
    "sqlite": _upsert_on_conflict(sqlite.insert),
    "postgresql": _upsert_on_conflict(postgresql.insert),
    "mysql": _upsert_mysql,
    "mariadb": _upsert_mysql,
}


def upsert(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    updates: Sequence[str],
) -> None:
    """Inserts rows; a row whose key exists updates the columns `updates` instead (every database)."""
    if rows:
        connection.execute(_UPSERTS[connection.dialect.name](table, keys, updates), list(rows))
