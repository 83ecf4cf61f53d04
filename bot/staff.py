"""The staff console at ``/staff``: login, queue, live chat, case pages, case list, CSV export, key figures.

Server-rendered pages (Jinja2, autoescaped: everything a resident typed is shown as text) with a
little progressive JavaScript (``static/staff.js``: live updates over ``/ws/staff``, sending chat
messages without a reload). Every page, form and socket needs a staff session:

- sessions are aiohttp-session's encrypted cookies (Fernet; ``HttpOnly``, ``SameSite=Strict``,
  ``Secure`` with ``KOMMUN_COOKIE_SECURE``), 8 hours at most; a disabled account's session stops
  working at its next request;
- every form carries a CSRF token bound to the session; the socket checks the ``Origin`` header;
- passwords are argon2 hashes (:mod:`bot.store.staff`), 5 failed logins in a row lock the account
  for 15 minutes;
- every staff action on a case (view, claim, message, note, status, close, hand back, export) is a
  case event with who and when (:mod:`bot.store.handoff`).

UI texts come from ``bot/locales/staff/<lang>.yml`` (``KOMMUN_STAFF_LANGUAGE``, default Swedish, the
working language of Swedish public authorities, språklagen 10 §).
"""

from __future__ import annotations

import asyncio
import base64
import csv
import hmac
import io
import json
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import yaml
from aiohttp import WSMsgType, web
from aiohttp_session import get_session, new_session
from aiohttp_session import setup as setup_sessions
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from bot.cases import workflow
from bot.core.catalog import render_text
from bot.core.settings import Settings
from bot.hub import QUEUE, staff_topic
from bot.rasa_client import RasaUnavailable
from bot.store import conversations as convs
from bot.store import desk, queue, reporting
from bot.store.cases import CASE_KINDS
from bot.store.models import Conversation, StaffMember, aware
from bot.store.staff import find_staff, record_login, verify_password

logger = logging.getLogger(__name__)

STAFF_LOCALES = Path(__file__).resolve().parent / "locales" / "staff"
SESSION_MAX_AGE = 8 * 3600
"""Seconds a staff login lasts (one working day)."""
COOKIE_NAME = "kommun_staff"
PAGE_SIZE = 100
EXPORT_LIMIT = 10_000
NOTE_MAX_CHARS = 4000

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# -- texts -----------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def staff_texts(language: str) -> dict[str, str]:
    """The staff console's texts in ``language`` (``bot/locales/staff/<language>.yml``).

    Raises:
        FileNotFoundError: no staff catalog for that language.
    """
    data = yaml.safe_load((STAFF_LOCALES / f"{language}.yml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data["text"].items()}


def staff_languages() -> list[str]:
    """Languages the staff console is available in."""
    return sorted(path.stem for path in STAFF_LOCALES.glob("*.yml"))


class Texts:
    """Template helper: ``t.key`` is a text, ``t("key", name=…)`` a text with placeholders filled."""

    def __init__(self, language: str) -> None:
        self._texts = staff_texts(language)
        self.language = language

    def __getattr__(self, key: str) -> str:
        try:
            return self._texts[key]
        except KeyError:
            raise AttributeError(key) from None

    def __call__(self, key: str, **values: Any) -> str:
        """The text ``key`` with ``{placeholders}`` filled from ``values``."""
        return render_text(self._texts[key], values)

    def has(self, key: str) -> bool:
        """True when the catalog has ``key``."""
        return key in self._texts


# -- session key -------------------------------------------------------------------------------------


def session_key(settings: Settings) -> bytes:
    """The 32-byte key that encrypts staff session cookies.

    ``KOMMUN_SESSION_SECRET`` (url-safe base64 of 32 bytes, e.g. from ``python -c "from
    cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``) when set — every web
    app instance of a deployment must share it; else a key kept in ``<data dir>/session.key``
    (created on first start, readable only by its owner), so logins survive a restart.

    Raises:
        ValueError: ``KOMMUN_SESSION_SECRET`` is not url-safe base64 of 32 bytes.
    """
    if settings.session_secret:
        key = base64.urlsafe_b64decode(settings.session_secret.encode())
        if len(key) != 32:
            raise ValueError("KOMMUN_SESSION_SECRET must be url-safe base64 of 32 bytes")
        return key
    path = settings.data_dir / "session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
    return base64.urlsafe_b64decode(path.read_bytes().strip())


# -- helpers ---------------------------------------------------------------------------------------


def _app(request: web.Request) -> Any:
    from bot import app as webapp  # the app module imports this one; resolved at call time

    return webapp


def _local(request: web.Request, moment: datetime | None) -> str:
    if moment is None:
        return "–"
    zone = ZoneInfo(request.app[_app(request).PROFILE].timezone)
    return aware(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M")  # type: ignore[union-attr]


async def current_staff(request: web.Request) -> StaffMember | None:
    """The logged-in, active staff member of this request, or ``None`` (the session is dropped)."""
    session = await get_session(request)
    staff_id = session.get("staff_id")
    if not isinstance(staff_id, int) or time.time() - float(session.get("login_at", 0)) > SESSION_MAX_AGE:
        return None
    async with request.app[_app(request).SESSIONS]() as db:
        member = await db.get(StaffMember, staff_id)
    if member is None or not member.active:
        session.invalidate()
        return None
    return member


async def _csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


async def _check_csrf(request: web.Request) -> dict[str, str]:
    """The posted form, if its CSRF token matches the session's; else 403."""
    form = await request.post()
    session = await get_session(request)
    expected = session.get("csrf")
    given = form.get("csrf")
    if not isinstance(expected, str) or not isinstance(given, str) or not hmac.compare_digest(given, expected):
        texts = Texts(request.app[_app(request).SETTINGS].staff_language)
        raise web.HTTPForbidden(text=texts.csrf_failed)
    return {k: v for k, v in form.items() if isinstance(v, str)}


def staff_only(handler: Handler) -> Handler:
    """Require a staff session (pages redirect to the login; forms also need a valid CSRF token)."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        member = await current_staff(request)
        if member is None:
            if request.method == "GET" and request.headers.get("X-Requested-With") != "fetch":
                raise web.HTTPSeeOther("/staff/login?" + urlencode({"next": request.path_qs}))
            raise web.HTTPUnauthorized(text="login required")
        request["staff"] = member
        if request.method == "POST":
            request["form"] = await _check_csrf(request)
        return await handler(request)

    wrapper.__doc__ = handler.__doc__
    return wrapper


async def _flash(request: web.Request, key: str, **values: Any) -> None:
    session = await get_session(request)
    session["flash"] = [key, {k: str(v) for k, v in values.items()}]


async def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """Render a staff template with the texts, the member, the CSRF token and a pending flash message."""
    webapp = _app(request)
    settings = request.app[webapp.SETTINGS]
    texts = Texts(settings.staff_language)
    session = await get_session(request)
    flash = session.pop("flash", None)
    catalogs, profile = request.app[webapp.CATALOGS], request.app[webapp.PROFILE]
    language = settings.staff_language if catalogs.supports(settings.staff_language) else settings.default_language

    def area_name(area: str | None) -> str:
        if not area:
            return "–"
        try:
            return profile.department(area).display_name(language)
        except KeyError:
            return area

    html = (
        request.app[webapp.TEMPLATES]
        .get_template(template)
        .render(
            t=texts,
            me=request.get("staff"),
            csrf=await _csrf_token(request),
            flash=texts(flash[0], **flash[1]) if flash else None,
            when=lambda moment: _local(request, moment),
            timezone=profile.timezone,
            kind_name=lambda kind: catalogs.term(language, "case_kind", kind) if kind in CASE_KINDS else kind,
            status_name=lambda status: (
                catalogs.term(language, "case_status", status) if status in workflow.CASE_STATUSES else status
            ),
            area_name=area_name,
            language_name=lambda code: catalogs.get(code).name if catalogs.supports(code) else (code or "–"),
            **context,
        )
    )
    return web.Response(text=html, content_type="text/html", status=status)


def _back(reference: str, anchor: str = "") -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/staff/cases/{reference}{anchor}")


# -- login -----------------------------------------------------------------------------------------


async def login_page(request: web.Request) -> web.Response:
    """The login form (also shown again after a failed attempt)."""
    if await current_staff(request) is not None:
        raise web.HTTPSeeOther("/staff")
    return await render(request, "staff_login.html", error=None, username="", next=request.query.get("next", ""))


def _safe_next(value: str) -> str:
    return value if value.startswith("/staff") and not value.startswith("//") else "/staff"


async def login(request: web.Request) -> web.Response:
    """Check the password (argon2, off the event loop) and start a session; lockout after 5 failures."""
    form = await _check_csrf(request)
    username = form.get("username", "")[:64]
    password = form.get("password", "")
    webapp = _app(request)
    async with request.app[webapp.SESSIONS]() as db:
        member = await find_staff(db, username)
    loop = asyncio.get_running_loop()
    password_ok = await loop.run_in_executor(None, verify_password, member.password_hash if member else None, password)
    async with request.app[webapp.SESSIONS]() as db, db.begin():
        member = await find_staff(db, username)
        result = await record_login(db, member, password_ok)
    texts = Texts(request.app[webapp.SETTINGS].staff_language)
    if result.member is None:
        error = texts.login_failed
        if result.locked_until:
            error = texts("login_locked", until=_local(request, result.locked_until))
        logger.info("staff login refused")
        return await render(
            request, "staff_login.html", status=401, error=error, username=username, next=form.get("next", "")
        )
    session = await new_session(request)
    session["staff_id"] = result.member.id
    session["login_at"] = time.time()
    session["csrf"] = secrets.token_urlsafe(32)
    raise web.HTTPSeeOther(_safe_next(form.get("next", "")))


async def logout(request: web.Request) -> web.Response:
    """End the session."""
    await _check_csrf(request)
    session = await new_session(request)
    session["flash"] = ["logged_out", {}]
    raise web.HTTPSeeOther("/staff/login")


# -- queue -------------------------------------------------------------------------------------------


async def _queue_context(request: web.Request) -> dict[str, Any]:
    webapp = _app(request)
    me: StaffMember = request["staff"]
    async with request.app[webapp.SESSIONS]() as db:
        waiting = await queue.waiting_queue(db)
        mine = await queue.live_cases_of(db, me.id)
    return {"queue": waiting, "mine": mine}


@staff_only
async def dashboard(request: web.Request) -> web.Response:
    """The queue of waiting chats (longest wait first) and the member's own live chats."""
    return await render(request, "staff_queue.html", **await _queue_context(request))


@staff_only
async def queue_fragment(request: web.Request) -> web.Response:
    """Only the queue tables (the page's script reloads them when the queue changes)."""
    return await render(request, "_staff_queue_tables.html", **await _queue_context(request))


@staff_only
async def claim(request: web.Request) -> web.Response:
    """Take a waiting chat; the loser of a race is told who was faster, not shown an error page."""
    reference = request.match_info["reference"]
    try:
        await request.app[_app(request).GATEWAY].claim(reference, request["staff"])
    except LookupError:
        raise web.HTTPNotFound(text=Texts(request.app[_app(request).SETTINGS].staff_language).not_found) from None
    except workflow.StaleCase:
        await _flash(request, "claim_lost", reference=reference)
        raise web.HTTPSeeOther("/staff") from None
    await _flash(request, "claimed", reference=reference)
    raise _back(reference)


# -- one case ----------------------------------------------------------------------------------------


async def _case_context(request: web.Request, reference: str, audit: bool) -> dict[str, Any]:
    webapp = _app(request)
    me: StaffMember = request["staff"]
    async with request.app[webapp.SESSIONS]() as db, db.begin():
        try:
            case = await desk.get_case(db, reference)
        except LookupError:
            texts = Texts(request.app[webapp.SETTINGS].staff_language)
            raise web.HTTPNotFound(text=texts.not_found) from None
        if audit:
            await desk.record_event(db, case.id, "viewed", desk.staff_actor(me), {"staff_id": me.id})
        conversation = await db.get(Conversation, case.conversation_id) if case.conversation_id else None
        transcript = await convs.transcript(db, case.conversation_id) if case.conversation_id else []
        events = await desk.case_events(db, case.id)
        people = await desk.staff_names(db)
    mode = conversation.mode if conversation else None
    return {
        "case": case,
        "conversation": conversation,
        "transcript": transcript,
        "notes": [e for e in events if e.kind == "note"],
        "events": [e for e in events if e.kind != "viewed"],
        "people": people,
        "live": mode == "human" and case.assigned_staff_id == me.id,
        "mode": mode,
        "assigned": people.get(case.assigned_staff_id) if case.assigned_staff_id else None,
        "statuses": workflow.STAFF_STATUSES,
    }


@staff_only
async def case_page(request: web.Request) -> web.Response:
    """A case: its fields, the transcript with times, notes, history, and the actions on it."""
    reference = request.match_info["reference"]
    fragment = request.query.get("fragment")
    context = await _case_context(request, reference, audit=fragment is None)
    if fragment == "panel":
        return await render(request, "_staff_case_panel.html", **context)
    return await render(request, "staff_case.html", **context)


def _wants_json(request: web.Request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@staff_only
async def send_message(request: web.Request) -> web.StreamResponse:
    """A case officer's chat message to the resident (from the form or the page's script)."""
    reference = request.match_info["reference"]
    text = request["form"].get("text", "").strip()
    gateway = request.app[_app(request).GATEWAY]
    settings = request.app[_app(request).SETTINGS]
    texts = Texts(settings.staff_language)
    error = None
    if not text:
        error = "empty_text"
    elif len(text) > settings.max_message_chars:
        text = text[: settings.max_message_chars]
    if error is None:
        try:
            await gateway.staff_message(reference, request["staff"], text)
        except (workflow.StaleCase, LookupError):
            error = "not_your_chat"
    if _wants_json(request):
        return web.json_response({"ok": error is None, "error": texts(error) if error else None})
    await _flash(request, error or "message_sent")
    raise _back(reference, "#composer")


@staff_only
async def add_note(request: web.Request) -> web.Response:
    """Save an internal note (the resident never sees it)."""
    reference = request.match_info["reference"]
    text = request["form"].get("text", "").strip()[:NOTE_MAX_CHARS]
    try:
        await request.app[_app(request).GATEWAY].add_note(reference, request["staff"], text)
    except ValueError:
        await _flash(request, "empty_text")
        raise _back(reference, "#notes") from None
    await _flash(request, "note_saved")
    raise _back(reference, "#notes")


@staff_only
async def change_status(request: web.Request) -> web.Response:
    """Set the status by hand (only if it is still what the staff member saw: else a message)."""
    reference = request.match_info["reference"]
    form = request["form"]
    try:
        await request.app[_app(request).GATEWAY].set_status(
            reference, request["staff"], form.get("status", ""), form.get("expected", "")
        )
    except workflow.StaleCase as stale:
        await _flash(request, "stale", status=stale.current or "–")
        raise _back(reference) from None
    except ValueError:
        raise web.HTTPBadRequest(text="unknown status") from None
    await _flash(request, "status_changed")
    raise _back(reference)


@staff_only
async def close(request: web.Request) -> web.Response:
    """Close the case with a resolution; its live chat ends and the resident is told."""
    reference = request.match_info["reference"]
    form = request["form"]
    try:
        await request.app[_app(request).GATEWAY].close_case(
            reference, request["staff"], form.get("resolution", "")[:NOTE_MAX_CHARS], form.get("expected", "")
        )
    except workflow.StaleCase as stale:
        await _flash(request, "stale", status=stale.current or "–")
        raise _back(reference) from None
    except ValueError:
        await _flash(request, "empty_text")
        raise _back(reference, "#close") from None
    await _flash(request, "closed_done")
    raise _back(reference)


@staff_only
async def hand_back(request: web.Request) -> web.Response:
    """Give the chat back to the bot, which greets the resident in their language."""
    reference = request.match_info["reference"]
    try:
        await request.app[_app(request).GATEWAY].hand_back(reference, request["staff"])
    except workflow.StaleCase as stale:
        await _flash(request, "stale", status=stale.current or "–")
        raise _back(reference) from None
    except RasaUnavailable:
        await _flash(request, "rasa_unavailable")
        raise _back(reference) from None
    await _flash(request, "handed_back")
    raise _back(reference)


# -- case list, export, key figures ------------------------------------------------------------------


def _date(value: str | None) -> date | None:
    if not value:
        return None
    return date.fromisoformat(value)


def _filters(request: web.Request) -> tuple[reporting.CaseFilter, bool]:
    """Filters from the query string; the flag is False when a date could not be read."""
    query = request.query
    ok = True
    try:
        date_from, date_to = _date(query.get("from")), _date(query.get("to"))
    except ValueError:
        date_from = date_to = None
        ok = False
    status = query.get("status") or None
    return (
        reporting.CaseFilter(
            status=status if status in workflow.CASE_STATUSES else None,
            area=query.get("area") or None,
            kind=query.get("kind") or None,
            language=query.get("language") or None,
            date_from=date_from,
            date_to=date_to,
            reference=(query.get("reference") or "").strip()[:32] or None,
        ),
        ok,
    )


@staff_only
async def case_list(request: web.Request) -> web.Response:
    """Cases newest first, filtered by status, area, kind, language and date, or found by reference."""
    webapp = _app(request)
    filters, dates_ok = _filters(request)
    try:
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page = 1
    async with request.app[webapp.SESSIONS]() as db:
        cases, total = await reporting.search_cases(
            db, request.app[webapp.PROFILE], filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    query = {k: v for k, v in request.query.items() if k != "page" and v}
    return await render(
        request,
        "staff_cases.html",
        cases=cases,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        query=query,
        query_string=urlencode(query),
        filters=filters,
        dates_ok=dates_ok,
        kinds=CASE_KINDS,
        all_statuses=workflow.CASE_STATUSES,
        areas=[d.id for d in request.app[webapp.PROFILE].departments],
        languages=request.app[webapp.CATALOGS].languages,
    )


CSV_COLUMNS = (
    "reference", "created_at", "kind", "area", "status", "language", "interpreter_needed", "anonymous",
    "acknowledgement_due", "reply_due", "acknowledged_at", "handoff_at", "claimed_at", "first_staff_reply_at",
    "closed_at",
)  # fmt: skip
"""Columns of the CSV export: no description and no contact details (personal data stays in the case)."""


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return aware(value).isoformat(timespec="seconds")  # type: ignore[union-attr]
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text  # no formulas in spreadsheets


@staff_only
async def export_csv(request: web.Request) -> web.Response:
    """The filtered cases as CSV (UTF-8 with BOM for spreadsheet programs); each export is audited."""
    webapp = _app(request)
    filters, _ = _filters(request)
    me: StaffMember = request["staff"]
    async with request.app[webapp.SESSIONS]() as db, db.begin():
        cases, _ = await reporting.search_cases(db, request.app[webapp.PROFILE], filters, limit=EXPORT_LIMIT)
        for case in cases:
            await desk.record_event(db, case.id, "exported", desk.staff_actor(me), {"staff_id": me.id})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for case in cases:
        row = {**{c: getattr(case, c, None) for c in CSV_COLUMNS}, "language": case.reply_language}
        writer.writerow([_csv_cell(row[c]) for c in CSV_COLUMNS])
    return web.Response(
        body=("\ufeff" + buffer.getvalue()).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="cases.csv"'},
    )


@staff_only
async def figures(request: web.Request) -> web.Response:
    """Key figures (the service indicators) of a period; default the last 30 days."""
    webapp = _app(request)
    profile = request.app[webapp.PROFILE]
    today = datetime.now(ZoneInfo(profile.timezone)).date()
    dates_ok = True
    try:
        start = _date(request.query.get("from")) or today - timedelta(days=29)
        end = _date(request.query.get("to")) or today
    except ValueError:
        start, end, dates_ok = today - timedelta(days=29), today, False
    if end < start:
        start, end = end, start
    async with request.app[webapp.SESSIONS]() as db:
        result = await reporting.key_figures(db, profile, start, end)

    def duration(seconds: float | None) -> str | None:
        return None if seconds is None else f"{seconds / 60:.1f} min"

    return await render(request, "staff_figures.html", f=result, duration=duration, dates_ok=dates_ok)


# -- live updates --------------------------------------------------------------------------------------


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    return origin is not None and origin == f"{request.scheme}://{request.host}"


async def staff_socket(request: web.Request) -> web.WebSocketResponse:
    """Live updates for staff pages: ``{"type": "watch_queue"}`` or ``{"type": "watch", "reference"}``.

    Refused (401/403 before the handshake) without a staff session or from another origin. Events
    sent: the chat's messages (as the resident's socket gets them), ``case_changed``,
    ``queue_changed``, ``mode``.
    """
    member = await current_staff(request)
    if member is None:
        raise web.HTTPUnauthorized(text="login required")
    if not _same_origin(request):
        raise web.HTTPForbidden(text="cross-origin socket refused")
    webapp = _app(request)
    hub = request.app[webapp.GATEWAY].hub
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=4096)
    await ws.prepare(request)
    request.app[webapp.SOCKETS].add(ws)
    topics: set[str] = set()

    async def push(event: dict[str, Any]) -> None:
        if not ws.closed:
            await ws.send_json(event)

    try:
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            try:
                event = json.loads(frame.data)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            if event.get("type") == "watch_queue":
                topics.add(QUEUE)
                hub.subscribe(QUEUE, push)
            elif event.get("type") == "watch" and isinstance(event.get("reference"), str):
                async with request.app[webapp.SESSIONS]() as db:
                    try:
                        case = await desk.get_case(db, event["reference"][:32])
                    except LookupError:
                        continue
                if case.conversation_id:
                    topic = staff_topic(case.conversation_id)
                    topics.add(topic)
                    hub.subscribe(topic, push)
            await push({"type": "watching"})
    finally:
        for topic in topics:
            hub.unsubscribe(topic, push)
    return ws


# -- setup -------------------------------------------------------------------------------------------------


def setup_staff(app: web.Application, settings: Settings) -> None:
    """Add the session middleware and the staff routes to the web app."""
    storage = EncryptedCookieStorage(
        session_key(settings),
        cookie_name=COOKIE_NAME,
        httponly=True,
        samesite="Strict",
        secure=settings.cookie_secure,
        max_age=SESSION_MAX_AGE,
        path="/",
    )
    setup_sessions(app, storage)
    app.router.add_get("/staff/login", login_page)
    app.router.add_post("/staff/login", login)
    app.router.add_post("/staff/logout", logout)
    app.router.add_get("/staff", dashboard)
    app.router.add_get("/staff/queue", queue_fragment)
    app.router.add_get("/staff/cases", case_list)
    app.router.add_get("/staff/cases.csv", export_csv)
    app.router.add_get("/staff/figures", figures)
    app.router.add_get("/staff/cases/{reference}", case_page)
    app.router.add_post("/staff/cases/{reference}/claim", claim)
    app.router.add_post("/staff/cases/{reference}/message", send_message)
    app.router.add_post("/staff/cases/{reference}/note", add_note)
    app.router.add_post("/staff/cases/{reference}/status", change_status)
    app.router.add_post("/staff/cases/{reference}/close", close)
    app.router.add_post("/staff/cases/{reference}/handback", hand_back)
    app.router.add_get("/ws/staff", staff_socket)
