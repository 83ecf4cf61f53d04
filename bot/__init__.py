"""Citizen-guidance assistant for Swedish municipalities (the runtime; ``actions/`` holds Rasa's custom actions).

- ``core``: settings, profile, catalogs, working days, language identification, passwords — every process;
- ``store``: the case store (SQLAlchemy models, queries, alembic migrations) — the web app and the action server;
- ``cases``: the workflow, the case desk and the outbox; ``chat``: residents' chats and delivery to Rasa;
  ``web``: the aiohttp app and the staff console — the web app;
- ``feedback_cues``, ``triage``: NLU components — the Rasa server;
- ``ops``: command line, supervisor, training — the ``python -m bot`` commands.

docs/architecture.md says which process imports which package.
"""

__version__ = "0.1.0"
