"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "district",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_district")),
        mysql_charset="utf8mb4",
    )
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch")),
        mysql_charset="utf8mb4",
    )
    op.create_table(
        "street",
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_code"], ["district.code"], name=op.f("fk_street_district_code_district")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_street")),
        mysql_charset="utf8mb4",
    )
    with op.batch_alter_table("street", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_street_district_code"), ["district_code"], unique=False
        )

    op.create_table(
        "community",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("area_km2", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column(
            "boundary",
            sa.Text()
            .with_variant(mysql.MEDIUMTEXT(), "mariadb")
            .with_variant(mysql.MEDIUMTEXT(), "mysql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["street_code"], ["street.code"], name=op.f("fk_community_street_code_street")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_community")),
        mysql_charset="utf8mb4",
    )
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_community_street_code"), ["street_code"], unique=False)

    op.create_table(
        "burden_record",
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.code"],
            name=op.f("fk_burden_record_community_code_community"),
        ),
        sa.PrimaryKeyConstraint(
            "community_code", "category", "period", name=op.f("pk_burden_record")
        ),
        mysql_charset="utf8mb4",
    )
    with op.batch_alter_table("burden_record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_burden_record_category_period", ["category", "period"], unique=False
        )

    op.create_table(
        "community_population",
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("resident_population", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.code"],
            name=op.f("fk_community_population_community_code_community"),
        ),
        sa.PrimaryKeyConstraint("community_code", "year", name=op.f("pk_community_population")),
        mysql_charset="utf8mb4",
    )
    op.create_table(
        "facility",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("floor_area_m2", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.code"],
            name=op.f("fk_facility_community_code_community"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_facility")),
        mysql_charset="utf8mb4",
    )
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_facility_community_code"), ["community_code"], unique=False
        )

    op.create_table(
        "grid",
        sa.Column("code", sa.String(length=15), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("households", sa.Integer(), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("has_party_branch", sa.Boolean(), nullable=False),
        sa.Column(
            "boundary",
            sa.Text()
            .with_variant(mysql.MEDIUMTEXT(), "mariadb")
            .with_variant(mysql.MEDIUMTEXT(), "mysql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["community_code"], ["community.code"], name=op.f("fk_grid_community_code_community")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_grid")),
        mysql_charset="utf8mb4",
    )
    with op.batch_alter_table("grid", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grid_community_code"), ["community_code"], unique=False
        )

    op.create_table(
        "staff_member",
        sa.Column("staff_code", sa.String(length=32), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("certificate", sa.String(length=16), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("grid_code", sa.String(length=15), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.code"],
            name=op.f("fk_staff_member_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["grid_code"], ["grid.code"], name=op.f("fk_staff_member_grid_code_grid")
        ),
        sa.PrimaryKeyConstraint("staff_code", name=op.f("pk_staff_member")),
        mysql_charset="utf8mb4",
    )
    with op.batch_alter_table("staff_member", schema=None) as batch_op:
        batch_op.create_index(
            "ix_staff_member_community_role", ["community_code", "role"], unique=False
        )
        batch_op.create_index("ix_staff_member_grid_code", ["grid_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_member", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_member_grid_code")
        batch_op.drop_index("ix_staff_member_community_role")

    op.drop_table("staff_member")
    with op.batch_alter_table("grid", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grid_community_code"))

    op.drop_table("grid")
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facility_community_code"))

    op.drop_table("facility")
    op.drop_table("community_population")
    with op.batch_alter_table("burden_record", schema=None) as batch_op:
        batch_op.drop_index("ix_burden_record_category_period")

    op.drop_table("burden_record")
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_street_code"))

    op.drop_table("community")
    with op.batch_alter_table("street", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_street_district_code"))

    op.drop_table("street")
    op.drop_table("import_batch")
    op.drop_table("district")
