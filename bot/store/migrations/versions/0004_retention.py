"""Retention: when a case's personal data was removed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``case.anonymised_at`` and ``conversation.anonymised_at``."""
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("conversation") as batch:
        batch.drop_column("anonymised_at")
    with op.batch_alter_table("case") as batch:
        batch.drop_column("anonymised_at")
