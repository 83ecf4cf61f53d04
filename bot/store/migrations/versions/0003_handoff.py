"""Handoff and staff console: times of a case's handoff, claim, first staff reply and acknowledgement.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = ("handoff_at", "claimed_at", "first_staff_reply_at", "acknowledged_at", "unclaimed_notified_at")


def upgrade() -> None:
    """Add the columns and an index on the case's status (the staff queue filters by it)."""
    with op.batch_alter_table("case") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_case_status", "case", ["status"])
    op.create_index("ix_case_event_created_at", "case_event", ["created_at"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_case_event_created_at", "case_event")
    op.drop_index("ix_case_status", "case")
    with op.batch_alter_table("case") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
