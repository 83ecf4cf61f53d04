"""Citizen-guidance assistant for Swedish municipalities: web app, gateway, CLI and settings."""

__version__ = "0.1.0"
