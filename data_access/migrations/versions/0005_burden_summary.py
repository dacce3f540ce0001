"""burden summary per unit, category and month, kept at write time

Revision ID: 0005_burden_summary
Revises: 0004_admission
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_burden_summary"
down_revision: str | None = "0004_admission"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "burden_summary",
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("window_min", sa.BigInteger(), nullable=True),
        sa.Column("next_period", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint(
            "level", "code", "category", "period", name=op.f("pk_burden_summary")
        ),
        mysql_charset="utf8mb4",
    )
    op.create_index(
        "ix_burden_summary_level_next_code",
        "burden_summary",
        ["level", "next_period", "code"],
        unique=False,
    )
    op.create_table(
        "summary_state",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("window_months", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_summary_state")),
        mysql_charset="utf8mb4",
    )
    # Left empty, without a summary_state row: the app reads burden_record until
    # data_access/schema.py:upgrade fills it at head (docs/architecture.md, schema and migrations).


def downgrade() -> None:
    op.drop_table("summary_state")
    op.drop_index("ix_burden_summary_level_next_code", table_name="burden_summary")
    op.drop_table("burden_summary")
