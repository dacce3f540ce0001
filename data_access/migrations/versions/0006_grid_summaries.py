"""grid coverage and service reach kept at write time

Revision ID: 0006_grid_summaries
Revises: 0005_burden_summary
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_grid_summaries"
down_revision: str | None = "0005_burden_summary"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("summary_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("params", sa.String(length=255), nullable=True))
    op.create_table(
        "community_coverage",
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("area_m2", sa.Double(), nullable=True),
        sa.Column("covered_m2", sa.Double(), nullable=True),
        sa.Column("gap_m2", sa.Double(), nullable=True),
        sa.Column("overlap_m2", sa.Double(), nullable=True),
        sa.Column("blind_spots", sa.Integer(), nullable=False),
        sa.Column("blind_spot_m2", sa.Double(), nullable=False),
        sa.Column("overlap_pieces", sa.Integer(), nullable=False),
        sa.Column("overlap_piece_m2", sa.Double(), nullable=False),
        sa.Column("grids", sa.Integer(), nullable=False),
        sa.Column("grids_with_boundary", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("community_code", name=op.f("pk_community_coverage")),
        mysql_charset="utf8mb4",
    )
    op.create_table(
        "grid_reach",
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("households", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("grid_code", name=op.f("pk_grid_reach")),
        mysql_charset="utf8mb4",
    )
    op.create_index(
        op.f("ix_grid_reach_community_code"), "grid_reach", ["community_code"], unique=False
    )
    # Left empty, without a summary_state row: the app computes from the boundaries until
    # data_access/schema.py:upgrade fills it at head (docs/architecture.md, schema and migrations).
    op.execute("DELETE FROM summary_state WHERE name = 'coverage'")


def downgrade() -> None:
    op.drop_index(op.f("ix_grid_reach_community_code"), table_name="grid_reach")
    op.drop_table("grid_reach")
    op.drop_table("community_coverage")
    with op.batch_alter_table("summary_state", schema=None) as batch_op:
        batch_op.drop_column("params")
