"""Rasa custom actions, one module per feature; data access lives in :mod:`actions.store`."""
