"""coordinates and areas in double precision

MySQL and MariaDB made FLOAT columns single precision (about 7 digits), which moves a
longitude by metres; PostgreSQL and SQLite already stored doubles.

Revision ID: 0003_double_coordinates
Revises: 0002_burden_index
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_double_coordinates"
down_revision: str | None = "0002_burden_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {
    "community": (("area_km2", True), ("lon", True), ("lat", True)),
    "facility": (("lon", False), ("lat", False), ("floor_area_m2", True)),
}


def _change(to_type: sa.types.TypeEngine, from_type: sa.types.TypeEngine) -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, nullable in columns:
                batch_op.alter_column(
                    name, type_=to_type, existing_type=from_type, existing_nullable=nullable
                )


def upgrade() -> None:
    _change(sa.Double(), sa.Float())


def downgrade() -> None:
    _change(sa.Float(), sa.Double())
