"""What every process shares: settings, profile, catalogs, working days, language identification, passwords.

Imported by the web app, the action server (``actions/``) and the Rasa server (the NLU components
``bot/feedback_cues.py`` and ``bot/triage.py``); it imports nothing else from ``bot``.
"""
