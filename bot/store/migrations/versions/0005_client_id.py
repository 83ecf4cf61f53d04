"""The widget's client message id, unique per conversation, so a message sent twice is stored once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``message.client_id`` with a unique index on ``(conversation_id, client_id)``."""
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("client_id", sa.String(64), nullable=True))
        batch.create_index("ix_message_conversation_client", ["conversation_id", "client_id"], unique=True)


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("message") as batch:
        batch.drop_index("ix_message_conversation_client")
        batch.drop_column("client_id")
