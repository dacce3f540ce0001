"""districts, streets and communities may end: the day they were dissolved and their successor

Revision ID: 0016_units_dissolved
Revises: 0015_sign_in_limits
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_units_dissolved"
down_revision: str | None = "0015_sign_in_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table → length of its codes
UNIT_TABLES = {"district": 6, "street": 9, "community": 12}


def upgrade() -> None:
    # Every unit stored so far is in force: NULL in both columns, nothing to recompute.
    for table, length in UNIT_TABLES.items():
        op.add_column(table, sa.Column("dissolved_on", sa.Date(), nullable=True))
        op.add_column(table, sa.Column("successor_code", sa.String(length), nullable=True))
        # The queries ask for the few units dissolved by a date (data_access/sql.py:live_on).
        op.create_index(f"ix_{table}_dissolved_on", table, ["dissolved_on"], unique=False)


def downgrade() -> None:
    connection = op.get_bind()
    ended = any(
        connection.execute(sa.text(f"SELECT 1 FROM {table} WHERE dissolved_on IS NOT NULL")).first()
        for table in UNIT_TABLES
    )
    if ended:
        # The summaries left out the months after a dissolution, which the older revision knows
        # nothing of: without their summary_state rows its queries read the raw tables instead.
        op.execute(
            "DELETE FROM summary_state WHERE name IN ('burden', 'staffing', 'grid_staffing')"
        )
    for table in reversed(UNIT_TABLES):
        op.drop_index(f"ix_{table}_dissolved_on", table_name=table)
        op.drop_column(table, "successor_code")
        op.drop_column(table, "dissolved_on")
