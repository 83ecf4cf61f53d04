"""Staff roles and departments, server-side staff sessions, login throttling per address and account.

Existing accounts become supervisors (``server_default``), so a running municipality keeps every
right its staff had before; new accounts are case officers (README, "Staff console"). The per-account
lockout columns give way to the ``login_throttle`` table (exponential back-off, atomic counters).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``staff_member.role``/``departments``, tables ``staff_session`` and ``login_throttle``."""
    with op.batch_alter_table("staff_member") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="supervisor"))
        batch.add_column(sa.Column("departments", sa.JSON(), nullable=False, server_default="[]"))
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")
    with op.batch_alter_table("staff_member") as batch:
        batch.alter_column("role", server_default=None)
        batch.alter_column("departments", server_default=None)
    op.create_table(
        "staff_session",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("staff_member_id", sa.Integer, sa.ForeignKey("staff_member.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_staff_session_staff_member_id", "staff_session", ["staff_member_id"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    """Back to 0005 (every account without a lockout; sessions and throttle counters are dropped)."""
    op.drop_table("login_throttle")
    op.drop_index("ix_staff_session_staff_member_id", table_name="staff_session")
    op.drop_table("staff_session")
    with op.batch_alter_table("staff_member") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch.drop_column("departments")
        batch.drop_column("role")
