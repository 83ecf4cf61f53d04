"""The staff console's routes and session middleware, added to the web app by :func:`setup_staff`."""

from __future__ import annotations

from aiohttp import web

from bot.core.settings import Settings
from bot.web.keys import STAFF_SOCKETS
from bot.web.sockets import StaffSockets
from bot.web.staff.auth import setup_staff_sessions
from bot.web.staff.socket import staff_socket
from bot.web.staff.views import accounts, case, cases, figures, login, photos, queue


def setup_staff(app: web.Application, settings: Settings) -> None:
    """Add the session middleware and the staff routes to the web app.

    Raises:
        ValueError: ``KOMMUN_SESSION_SECRET`` is not url-safe base64 of 32 bytes.
    """
    setup_staff_sessions(app, settings)
    app[STAFF_SOCKETS] = StaffSockets()
    app.router.add_get("/staff/login", login.login_page)
    app.router.add_post("/staff/login", login.login)
    app.router.add_post("/staff/logout", login.logout)
    app.router.add_get("/staff", queue.dashboard)
    app.router.add_get("/staff/queue", queue.queue_fragment)
    app.router.add_get("/staff/cases", cases.case_list)
    app.router.add_get("/staff/cases.csv", cases.export_csv)
    app.router.add_get("/staff/figures", figures.figures)
    app.router.add_get("/staff/cases/{reference}", case.case_page)
    app.router.add_post("/staff/cases/{reference}/claim", queue.claim)
    app.router.add_post("/staff/cases/{reference}/message", case.send_message)
    app.router.add_post("/staff/cases/{reference}/note", case.add_note)
    app.router.add_post("/staff/cases/{reference}/status", case.change_status)
    app.router.add_post("/staff/cases/{reference}/close", case.close)
    app.router.add_post("/staff/cases/{reference}/handback", case.hand_back)
    app.router.add_post("/staff/cases/{reference}/assign", case.reassign)
    app.router.add_get("/staff/accounts", accounts.accounts)
    app.router.add_post("/staff/accounts/{username}/{action}", accounts.change_account)
    app.router.add_get("/ws/staff", staff_socket)
    app.router.add_get("/staff/cases/{reference}/photos/{photo_id}", photos.photo)  # issue 20
