"""Key figures (the municipality's service indicators) of a period."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.cases import access
from bot.store import reporting
from bot.web.keys import PROFILE, SESSIONS
from bot.web.staff.auth import staff_only
from bot.web.staff.guard import require
from bot.web.staff.render import render
from bot.web.staff.views.cases import parse_date


@staff_only
async def figures(request: web.Request) -> web.Response:
    """Key figures (the service indicators) of a period; default the last 30 days. Supervisors only.

    A date that cannot be read (or is out of range) shows the default period with a message (400).
    """
    await require(request, access.is_supervisor, "figures")
    profile = request.app[PROFILE]
    today = datetime.now(ZoneInfo(profile.timezone)).date()
    dates_ok = True
    try:
        start = parse_date(request.query.get("from")) or today - timedelta(days=29)
        end = parse_date(request.query.get("to")) or today
    except ValueError:
        start, end, dates_ok = today - timedelta(days=29), today, False
    if end < start:
        start, end = end, start
    async with request.app[SESSIONS]() as db:
        result = await reporting.key_figures(db, profile, start, end)

    def duration(seconds: float | None) -> str | None:
        return None if seconds is None else f"{seconds / 60:.1f} min"

    status = 200 if dates_ok else 400
    return await render(request, "staff_figures.html", status, f=result, duration=duration, dates_ok=dates_ok)
