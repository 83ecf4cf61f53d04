"""Rendering staff pages, flash messages, and the redirect back to a case after an action on it."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from datetime import datetime
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp_session import get_session

from bot.cases import workflow
from bot.core.foreign import FOREIGN
from bot.core.foreign import language_name as foreign_name
from bot.store.cases import CASE_KINDS
from bot.store.models import aware
from bot.web.keys import CATALOGS, PROFILE, SETTINGS, TEMPLATES
from bot.web.staff.auth import csrf_token
from bot.web.staff.texts import Texts


def texts_of(request: web.Request) -> Texts:
    """The staff console's texts in its language (``KOMMUN_STAFF_LANGUAGE``)."""
    return Texts(request.app[SETTINGS].staff_language)


def local_time(request: web.Request, moment: datetime | None) -> str:
    """``moment`` in the municipality's time zone as ``YYYY-MM-DD HH:MM`` (``–`` for ``None``)."""
    if moment is None:
        return "–"
    zone = ZoneInfo(request.app[PROFILE].timezone)
    return aware(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M")  # type: ignore[union-attr]


async def flash(request: web.Request, key: str, **values: Any) -> None:
    """Keep the message ``key`` (a staff text) for the next page this session sees."""
    session = await get_session(request)
    session["flash"] = [key, {k: str(v) for k, v in values.items()}]


def wants_json(request: web.Request) -> bool:
    """True for requests from the page's script (``X-Requested-With: fetch``), which want JSON."""
    return request.headers.get("X-Requested-With") == "fetch"


async def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """Render a staff template with the texts, the member, the CSRF token and a pending flash message."""
    settings = request.app[SETTINGS]
    texts = Texts(settings.staff_language)
    session = await get_session(request)
    pending = session.pop("flash", None)
    catalogs, profile = request.app[CATALOGS], request.app[PROFILE]
    language = settings.staff_language if catalogs.supports(settings.staff_language) else settings.default_language

    def area_name(area: str | None) -> str:
        if not area:
            return "–"
        try:
            return profile.department(area).display_name(language)
        except KeyError:
            return area

    html = (
        request.app[TEMPLATES]
        .get_template(template)
        .render(
            t=texts,
            me=request.get("staff"),
            csrf=await csrf_token(request),
            flash=texts(pending[0], **pending[1]) if pending else None,
            when=lambda moment: local_time(request, moment),
            timezone=profile.timezone,
            kind_name=lambda kind: catalogs.term(language, "case_kind", kind) if kind in CASE_KINDS else kind,
            status_name=lambda status: (
                catalogs.term(language, "case_status", status) if status in workflow.CASE_STATUSES else status
            ),
            area_name=area_name,
            foreign_languages=FOREIGN,
            language_name=lambda code: (
                catalogs.get(code).name
                if catalogs.supports(code)
                else foreign_name(code, language)
                if code in FOREIGN
                else (code or "–")
            ),
            **context,
        )
    )
    return web.Response(text=html, content_type="text/html", status=status)


def back(reference: str, anchor: str = "") -> web.HTTPSeeOther:
    """The redirect to a case's page (at ``anchor``, e.g. ``#notes``)."""
    return web.HTTPSeeOther(f"/staff/cases/{reference}{anchor}")


async def act_on_case(
    request: web.Request,
    reference: str,
    action: Awaitable[object],
    done: str,
    anchor: str = "",
    problems: Mapping[type[Exception], tuple[str, str]] | None = None,
) -> NoReturn:
    """Run a staff action on a case, then go back to the case's page with a message saying how it went.

    Success shows ``done`` (at ``anchor``). A stale case (:class:`~bot.cases.workflow.StaleCase`: someone
    else changed it first) shows ``stale`` with the status it has now, not an error page; an exception
    of a type in ``problems`` shows that entry's ``(message, anchor)``; an unknown reference is a 404.

    Raises:
        aiohttp.web.HTTPSeeOther: the redirect back to the case.
        aiohttp.web.HTTPNotFound: no case with this reference.
    """
    problems = problems or {}
    try:
        await action
    except workflow.StaleCase as stale:
        await flash(request, "stale", status=stale.current or "–")
        raise back(reference) from None
    except tuple(problems) as problem:
        key, where = next(entry for kind, entry in problems.items() if isinstance(problem, kind))
        await flash(request, key)
        raise back(reference, where) from None
    except LookupError:
        raise web.HTTPNotFound(text=texts_of(request).not_found) from None
    await flash(request, done)
    raise back(reference, anchor)
