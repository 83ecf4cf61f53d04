"""The web app process (``python -m bot serve``): the resident chat, the staff console.

:func:`bot.web.app.create_app` builds it; handlers reach shared state through the typed keys in
:mod:`bot.web.keys`. Only this process imports :mod:`bot.chat` and :mod:`bot.web`.
"""
