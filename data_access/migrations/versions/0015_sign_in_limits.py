"""sign-in delays per account name, and report-link nonces used by any app process

Revision ID: 0015_sign_in_limits
Revises: 0014_burden_partitions
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_sign_in_limits"
down_revision: str | None = "0014_burden_partitions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_delay",
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_sign_in_delay")),
        mysql_charset="utf8mb4",
    )
    op.create_index(
        op.f("ix_sign_in_delay_expires_at"), "sign_in_delay", ["expires_at"], unique=False
    )
    op.create_table(
        "used_token",
        sa.Column("nonce", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_used_token")),
        mysql_charset="utf8mb4",
    )
    op.create_index(op.f("ix_used_token_expires_at"), "used_token", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_table("used_token")
    op.drop_table("sign_in_delay")
