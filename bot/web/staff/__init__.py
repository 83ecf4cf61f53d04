"""The staff console at ``/staff``: login, queue, live chat, cases, CSV export, key figures, accounts.

Server-rendered pages (Jinja2, autoescaped: everything a resident typed is shown as text) with a
little progressive JavaScript (``static/staff.js``: live updates over ``/ws/staff``, sending chat
messages without a reload). Every page, form and socket needs a staff session:

- the session cookie (aiohttp-session's encrypted cookie; ``HttpOnly``, ``SameSite=Strict``, ``Secure``
  with ``KOMMUN_COOKIE_SECURE``) holds the token of a server-side session record, checked on every
  request: logout, disabling the account, a new password or new rights end it at once (open sockets
  close), and so do the profile's idle timeout (default 30 minutes) and 8 hours in all (:mod:`.auth`);
- every form carries a CSRF token bound to the session; the socket checks the ``Origin`` header;
- passwords are argon2 hashes (:mod:`bot.store.staff`); every failed login gets the same answer and
  failures slow further attempts per client address and per username (:mod:`.views.login`);
- roles decide who sees and does what (:mod:`bot.cases.access`: case officers by department,
  supervisors, admins); a refusal is a 403 in the case's audit trail (:mod:`.guard`);
- every staff action on a case (view, claim, message, note, status, close, hand back, reassign,
  export, refusal) is a case event with who and when (:mod:`bot.store.desk`); the actions themselves
  are the case desk's (:mod:`bot.cases.desk`).

UI texts come from ``bot/locales/staff/<lang>.yml`` (``KOMMUN_STAFF_LANGUAGE``, default Swedish, the
working language of Swedish public authorities, språklagen 10 §; :mod:`.texts`). Pages are rendered by
:mod:`.render`, one module per page group in :mod:`.views`, live updates in :mod:`.socket`, and
:mod:`.routes` adds it all to the web app.
"""
