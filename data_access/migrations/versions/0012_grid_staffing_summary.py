"""grid staffing per community and month end, kept at write time

Revision ID: 0012_grid_staffing_summary
Revises: 0011_map_pieces
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_grid_staffing_summary"
down_revision: str | None = "0011_map_pieces"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grid_staffing_summary",
        sa.Column("month_end", sa.Date(), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("grids", sa.Integer(), nullable=False),
        sa.Column("staffed_grids", sa.Integer(), nullable=False),
        sa.Column("fulltime_staffed_grids", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month_end", "community_code", name=op.f("pk_grid_staffing_summary")
        ),
        mysql_charset="utf8mb4",
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_grid_staffing_summary_community_month",
        "grid_staffing_summary",
        ["community_code", "month_end"],
        unique=False,
    )
    # Left empty, without a summary_state row: the app reads grid and staff_member until
    # data_access/schema.py:upgrade fills it at head (docs/architecture.md, schema and migrations).
    op.execute("DELETE FROM summary_state WHERE name = 'grid_staffing'")


def downgrade() -> None:
    op.drop_index("ix_grid_staffing_summary_community_month", table_name="grid_staffing_summary")
    op.drop_table("grid_staffing_summary")
