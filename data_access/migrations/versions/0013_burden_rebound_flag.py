"""the rebound flag of each burden summary row, kept at write time

Revision ID: 0013_burden_rebound_flag
Revises: 0012_grid_staffing_summary
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_burden_rebound_flag"
down_revision: str | None = "0012_grid_staffing_summary"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "burden_summary",
        sa.Column("rebound", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ix_burden_summary_rebound",
        "burden_summary",
        ["level", "rebound", "next_period", "code"],
        unique=False,
    )
    # The stored rows carry no flag yet: without a summary_state row the app reads burden_record
    # until data_access/schema.py:upgrade refills the summary at head (docs/architecture.md).
    op.execute("DELETE FROM summary_state WHERE name = 'burden'")


def downgrade() -> None:
    op.drop_index("ix_burden_summary_rebound", table_name="burden_summary")
    op.drop_column("burden_summary", "rebound")
