"""Initial schema: conversation, message, case, case_event, reference_counter.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "conversation",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "message",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "conversation_id", sa.String(36), sa.ForeignKey("conversation.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("staff_member_id", sa.Integer, nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("payload", sa.JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_message_conversation_id", "message", ["conversation_id"])
    op.create_table(
        "case",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(32), nullable=False, unique=True),
        sa.Column("check_code_hash", sa.String(128), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("area", sa.String(64), nullable=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("description_language", sa.String(8), nullable=True),
        sa.Column("place", sa.Text, nullable=True),
        sa.Column("event_date", sa.Date, nullable=True),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("contact_name", sa.Text, nullable=True),
        sa.Column("contact_email", sa.Text, nullable=True),
        sa.Column("contact_phone", sa.Text, nullable=True),
        sa.Column("reply_language", sa.String(8), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column(
            "conversation_id", sa.String(36), sa.ForeignKey("conversation.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("assigned_staff_id", sa.Integer, nullable=True),
        sa.Column("interpreter_needed", sa.Boolean, nullable=False),
        sa.Column("acknowledgement_due", sa.Date, nullable=True),
        sa.Column("reply_due", sa.Date, nullable=True),
        sa.Column("resolution", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_case_conversation_id", "case", ["conversation_id"])
    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_case_event_case_id", "case_event", ["case_id"])
    op.create_table(
        "reference_counter",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    """Drop the tables."""
    op.drop_table("reference_counter")
    op.drop_index("ix_case_event_case_id", "case_event")
    op.drop_table("case_event")
    op.drop_index("ix_case_conversation_id", "case")
    op.drop_table("case")
    op.drop_index("ix_message_conversation_id", "message")
    op.drop_table("message")
    op.drop_table("conversation")
