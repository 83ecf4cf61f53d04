"""What the tests and the tools under ``tools/`` share: the machine's services and a running stack.

- :mod:`~tests.helpers.ports`: free TCP ports on loopback;
- :mod:`~tests.helpers.postgres`: the PostgreSQL administrator (create and drop a database);
- :mod:`~tests.helpers.ready`: waiting until the web app listens, or until the whole stack is ready;
- :mod:`~tests.helpers.stack`: the environment of ``python -m bot run`` on free ports, started and stopped;
- :mod:`~tests.helpers.chat`: a resident's chat WebSocket (``/ws/chat``) and :func:`~tests.helpers.chat.open_chat`;
- :mod:`~tests.helpers.trackers`: inline trackers for custom actions (tests only);
- :mod:`~tests.helpers.fakes`: an in-process ``/healthz`` and ``/ws/chat`` (tests only);
- :mod:`~tests.helpers.browser`: where Chromium is and where screenshots go, a staff account, Chromium launched on a
  ready stack, a staff login (tests only);
- :mod:`~tests.helpers.smtp`: a real SMTP server on loopback that keeps what it receives (tests only).

Dependencies point one way: ``tools/`` imports these helpers; nothing here imports ``tools/``, and
nothing in ``bot/`` or ``actions/`` imports ``tests/``.
"""
