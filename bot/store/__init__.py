"""The case store: conversations, messages, cases and their audit trail (SQLAlchemy 1.4, 2.0 style).

SQLite (through aiosqlite) is the embedded default; PostgreSQL (through asyncpg) is the production
store. The schema is created and changed only by the alembic migrations in ``migrations/``.
"""
