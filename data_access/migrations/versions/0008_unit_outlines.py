"""unit outlines simplified for the city and district maps, kept at write time

Revision ID: 0008_unit_outlines
Revises: 0007_accounts
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0008_unit_outlines"
down_revision: str | None = "0007_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit_outline",
        sa.Column("detail", sa.String(length=10), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
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
        sa.PrimaryKeyConstraint("detail", "level", "code", name=op.f("pk_unit_outline")),
        mysql_charset="utf8mb4",
    )
    # Left empty, without a summary_state row: data_access/schema.py:upgrade fills it at head
    # (docs/architecture.md, schema and migrations).
    op.execute("DELETE FROM summary_state WHERE name = 'outlines'")


def downgrade() -> None:
    op.drop_table("unit_outline")
    op.execute("DELETE FROM summary_state WHERE name = 'outlines'")
