"""staffing summary per community and month end, kept at write time

Revision ID: 0009_staffing_summary
Revises: 0008_unit_outlines
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_staffing_summary"
down_revision: str | None = "0008_unit_outlines"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = (
    "counted_workers",
    "licensed_workers",
    "certificate_none",
    "certificate_junior",
    "certificate_intermediate",
    "certificate_senior",
    "workers_under_35",
    "workers_35_44",
    "workers_45_54",
    "workers_55_over",
    "workers_unknown",
    "uncertified_under_35",
    "uncertified_35_44",
    "uncertified_45_54",
    "uncertified_55_over",
    "uncertified_unknown",
    "uncertified_under_40",
)


def upgrade() -> None:
    op.create_table(
        "staffing_summary",
        sa.Column("month_end", sa.Date(), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("resident_population", sa.Integer(), nullable=True),
        sa.Column("households", sa.Integer(), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.PrimaryKeyConstraint("month_end", "community_code", name=op.f("pk_staffing_summary")),
        mysql_charset="utf8mb4",
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_staffing_summary_community_month",
        "staffing_summary",
        ["community_code", "month_end"],
        unique=False,
    )
    # Left empty, without a summary_state row: the app reads staff_member until
    # data_access/schema.py:upgrade fills it at head (docs/architecture.md, schema and migrations).
    op.execute("DELETE FROM summary_state WHERE name = 'staffing'")


def downgrade() -> None:
    op.drop_index("ix_staffing_summary_community_month", table_name="staffing_summary")
    op.drop_table("staffing_summary")
