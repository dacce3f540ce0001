"""burden_record partitioned by month on PostgreSQL; the other databases keep the plain table

Revision ID: 0014_burden_partitions
Revises: 0013_burden_rebound_flag
Create Date: 2026-11-29
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_burden_partitions"
down_revision: str | None = "0013_burden_rebound_flag"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "burden_record"
INDEX = "ix_burden_record_period_category_code_count"
PRIVILEGES = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}


def upgrade() -> None:
    # One partition per month holding data, none by default: the writers make a new month's
    # partition before they write it (docs/architecture.md, schema and migrations).
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or _kind(TABLE) == "p":
        return
    old = f"{TABLE}_plain"
    _set_aside(old)
    _create(partitioned=True)
    for month in _months(old):
        following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        op.execute(
            f"CREATE TABLE {_quote(_partition(month))} PARTITION OF {_quote(TABLE)} "
            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{following.isoformat()}')"
        )
    _move_rows(old)
    op.execute(f"ANALYZE {_quote(TABLE)}")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or _kind(TABLE) != "p":
        return
    old = f"{TABLE}_partitioned"
    _set_aside(old)
    _create(partitioned=False)
    _move_rows(old)
    op.execute(f"ANALYZE {_quote(TABLE)}")


def _quote(name: str) -> str:
    return op.get_bind().dialect.identifier_preparer.quote(name)


def _kind(name: str) -> str | None:
    """pg_class.relkind of a table: r plain, p partitioned, None when there is none."""
    return (
        op.get_bind()
        .execute(
            sa.text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:name)"), {"name": name}
        )
        .scalar_one_or_none()
    )


def _partition(month: dt.date) -> str:
    return f"{TABLE}_{month.year:04d}_{month.month:02d}"


def _set_aside(old: str) -> None:
    """Renames the table, its key and its index, so that the new table takes their names."""
    table = _quote(TABLE)
    op.execute(f"ALTER TABLE {table} RENAME TO {_quote(old)}")
    for constraint in ("pk_burden_record", "fk_burden_record_community_code_community"):
        op.execute(
            f"ALTER TABLE {_quote(old)} RENAME CONSTRAINT {_quote(constraint)} "
            f"TO {_quote(constraint.replace(TABLE, old))}"
        )
    op.execute(f"ALTER INDEX {_quote(INDEX)} RENAME TO {_quote(INDEX.replace(TABLE, old))}")


def _create(partitioned: bool) -> None:
    """burden_record as the models declare it (docs/architecture.md, schema)."""
    op.create_table(
        TABLE,
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.code"],
            name=op.f("fk_burden_record_community_code_community"),
        ),
        sa.PrimaryKeyConstraint(
            "community_code", "category", "period", name=op.f("pk_burden_record")
        ),
        postgresql_partition_by="RANGE (period)" if partitioned else None,
    )
    op.create_index(INDEX, TABLE, ["period", "category", "community_code", "count"])


def _months(old: str) -> list[dt.date]:
    """The first days of the months the old table holds, read along its month-led index."""
    rows = op.get_bind().execute(
        sa.text(
            "WITH RECURSIVE month AS ("
            f" SELECT date_trunc('month', MIN(period))::date AS first FROM {_quote(old)}"
            " UNION ALL"
            f" SELECT (SELECT date_trunc('month', MIN(period))::date FROM {_quote(old)}"
            "   WHERE period >= (month.first + interval '1 month'))"
            " FROM month WHERE month.first IS NOT NULL"
            ") SELECT first FROM month WHERE first IS NOT NULL"
        )
    )
    return [value for value in rows.scalars() if isinstance(value, dt.date)]


def _move_rows(old: str) -> None:
    """Copies the rows, the owner and the grants of the old table into the new one, then drops it."""
    bind = op.get_bind()
    table = _quote(TABLE)
    op.execute(
        f"INSERT INTO {table} (community_code, category, period, count) "
        f"SELECT community_code, category, period, count FROM {_quote(old)}"
    )
    (owner,) = bind.execute(
        sa.text("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass(:name)"),
        {"name": old},
    ).one()
    if owner != bind.execute(sa.text("SELECT current_user")).scalar_one():
        # Run by an administrator: the owner stays the one who may make partitions.
        for name in [TABLE, *_children(TABLE)]:
            op.execute(f"ALTER TABLE {_quote(name)} OWNER TO {_quote(owner)}")
    grants = bind.execute(
        sa.text(
            "SELECT acl.privilege_type,"
            " CASE WHEN acl.grantee = 0 THEN NULL ELSE pg_get_userbyid(acl.grantee) END"
            " FROM pg_class, aclexplode(pg_class.relacl) AS acl"
            " WHERE pg_class.oid = to_regclass(:name) AND acl.grantee <> pg_class.relowner"
        ),
        {"name": old},
    ).all()
    for privilege, grantee in grants:
        if privilege in PRIVILEGES:
            role = "PUBLIC" if grantee is None else _quote(grantee)
            op.execute(f"GRANT {privilege} ON {table} TO {role}")
    op.execute(f"DROP TABLE {_quote(old)}")


def _children(parent: str) -> list[str]:
    return list(
        op.get_bind()
        .execute(
            sa.text(
                "SELECT child.relname FROM pg_inherits"
                " JOIN pg_class AS child ON child.oid = pg_inherits.inhrelid"
                " WHERE pg_inherits.inhparent = to_regclass(:name)"
            ),
            {"name": parent},
        )
        .scalars()
    )
