"""The staff console at ``/staff``: login, queue, live chat, case pages, case list, CSV export, key figures.

Server-rendered pages (Jinja2, autoescaped: everything a resident typed is shown as text) with a
little progressive JavaScript (``static/staff.js``: live updates over ``/ws/staff``, sending chat
messages without a reload). Every page, form and socket needs a staff session:

- sessions are aiohttp-session's encrypted cookies (Fernet; ``HttpOnly``, ``SameSite=Strict``,
  ``Secure`` with ``KOMMUN_COOKIE_SECURE``), 8 hours at most; a disabled account's session stops
  working at its next request (:mod:`.auth`);
- every form carries a CSRF token bound to the session; the socket checks the ``Origin`` header;
- passwords are argon2 hashes (:mod:`bot.store.staff`), 5 failed logins in a row lock the account
  for 15 minutes (:mod:`.views.login`);
- every staff action on a case (view, claim, message, note, status, close, hand back, export) is a
  case event with who and when (:mod:`bot.store.desk`); the actions themselves are the case desk's
  (:mod:`bot.cases.desk`).

UI texts come from ``bot/locales/staff/<lang>.yml`` (``KOMMUN_STAFF_LANGUAGE``, default Swedish, the
working language of Swedish public authorities, språklagen 10 §; :mod:`.texts`). Pages are rendered by
:mod:`.render`, one module per page group in :mod:`.views`, live updates in :mod:`.socket`, and
:mod:`.routes` adds it all to the web app.
"""
