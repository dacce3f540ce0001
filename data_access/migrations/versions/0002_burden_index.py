"""covering index for burden sums per category and month

Revision ID: 0002_burden_index
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002_burden_index"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Covering, led by the month: sums per category and month read it in order, never the table;
    # it serves every query the (category, period) index served, so that one goes.
    with op.batch_alter_table("burden_record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_burden_record_period_category_code_count",
            ["period", "category", "community_code", "count"],
            unique=False,
        )
        batch_op.drop_index("ix_burden_record_category_period")


def downgrade() -> None:
    with op.batch_alter_table("burden_record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_burden_record_category_period", ["category", "period"], unique=False
        )
        batch_op.drop_index("ix_burden_record_period_category_code_count")
