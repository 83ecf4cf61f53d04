"""Photos and positions residents attach to a report (issue 20): ``photo_blob``, ``photo``, ``geo_position``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _owner_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "conversation_id", sa.String(36), sa.ForeignKey("conversation.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=True),
        sa.Column("message_id", sa.Integer, nullable=True),
    ]


def upgrade() -> None:
    """Create the three tables (photo bytes by content hash, photos, positions)."""
    op.create_table(
        "photo_blob",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "photo",
        *_owner_columns(),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("photo_blob.sha256"), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "geo_position",
        *_owner_columns(),
        sa.Column("latitude", sa.Float, nullable=False),
        sa.Column("longitude", sa.Float, nullable=False),
        sa.Column("accuracy_m", sa.Float, nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    for table in ("photo", "geo_position"):
        op.create_index(f"ix_{table}_conversation_id", table, ["conversation_id"])
        op.create_index(f"ix_{table}_case_id", table, ["case_id"])
    op.create_index("ix_photo_sha256", "photo", ["sha256"])


def downgrade() -> None:
    """Drop them again (photos and positions are lost)."""
    op.drop_table("geo_position")
    op.drop_table("photo")
    op.drop_table("photo_blob")
