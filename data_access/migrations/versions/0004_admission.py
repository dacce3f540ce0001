"""the admission list: work items, admission applications and items found in communities

Revision ID: 0004_admission
Revises: 0003_double_coordinates
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_admission"
down_revision: str | None = "0003_double_coordinates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "work_item",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("list", sa.String(length=24), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("basis", sa.String(length=255), nullable=True),
        sa.Column("admitted_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("funded", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_work_item")),
        mysql_charset="utf8mb4",
    )
    with op.batch_alter_table("work_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_item_list"), ["list"], unique=False)

    op.create_table(
        "admission_application",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("item_name", sa.String(length=128), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=6), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scope"], ["district.code"], name=op.f("fk_admission_application_scope_district")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admission_application")),
        mysql_charset="utf8mb4",
    )
    with op.batch_alter_table("admission_application", schema=None) as batch_op:
        batch_op.create_index(
            "ix_admission_application_scope_submitted_on",
            ["scope", "submitted_on"],
            unique=False,
        )

    op.create_table(
        "item_found",
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("item", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.code"],
            name=op.f("fk_item_found_community_code_community"),
        ),
        sa.PrimaryKeyConstraint("community_code", "period", "item", name=op.f("pk_item_found")),
        mysql_charset="utf8mb4",
    )
    with op.batch_alter_table("item_found", schema=None) as batch_op:
        batch_op.create_index("ix_item_found_period", ["period"], unique=False)


def downgrade() -> None:
    op.drop_table("item_found")
    op.drop_table("admission_application")
    op.drop_table("work_item")
