"""the street and community maps' grids, blind spots and overlaps, kept at write time

Revision ID: 0011_map_pieces
Revises: 0010_account_sessions
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0011_map_pieces"
down_revision: str | None = "0010_account_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "map_piece",
        sa.Column("detail", sa.String(length=10), nullable=False),
        sa.Column("scope_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=15), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("area_m2", sa.Double(), nullable=True),
        sa.Column("min_lon", sa.Double(), nullable=False),
        sa.Column("min_lat", sa.Double(), nullable=False),
        sa.Column("max_lon", sa.Double(), nullable=False),
        sa.Column("max_lat", sa.Double(), nullable=False),
        sa.Column("label_lon", sa.Double(), nullable=False),
        sa.Column("label_lat", sa.Double(), nullable=False),
        sa.Column("area", sa.Double(), nullable=False),
        sa.Column("decimals", sa.Integer(), nullable=False),
        sa.Column(
            "outline",
            sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "detail", "scope_code", "kind", "code", "part", name=op.f("pk_map_piece")
        ),
        mysql_charset="utf8mb4",
    )
    # Written beside the grid summaries: their summary_state row goes, so the app computes from
    # the boundaries until data_access/schema.py:upgrade refills both at head
    # (docs/architecture.md, schema and migrations).
    op.execute("DELETE FROM summary_state WHERE name = 'coverage'")


def downgrade() -> None:
    op.drop_table("map_piece")
