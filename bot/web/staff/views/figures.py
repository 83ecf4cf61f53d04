"""Key figures (the municipality's service indicators) of a period, with charts per week (issue 17)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup

from bot.cases import access
from bot.store import reporting, trends
from bot.web.charts import Bar, bar_chart
from bot.web.keys import PROFILE, SESSIONS
from bot.web.staff.auth import staff_only
from bot.web.staff.guard import require
from bot.web.staff.render import render, texts_of
from bot.web.staff.texts import Texts
from bot.web.staff.views.cases import parse_date


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f} %"


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.1f}"


def weekly_charts(t: Texts, weeks: list[trends.Period]) -> list[tuple[str, Markup]]:
    """The five charts per week (chats, handoffs, median wait, acknowledged and answered in time): ``(id, svg)``."""
    labels = [t("week_label", week=w.start.isocalendar()[1]) for w in weeks]
    series = [
        ("chart-chats", t.chart_chats, [(w.chats, str(w.chats)) for w in weeks], None),
        ("chart-handoffs", t.chart_handoffs, [(w.figures.handoffs, str(w.figures.handoffs)) for w in weeks], None),
        (
            "chart-wait",
            t.chart_wait,
            [(None if m is None else m / 60, _minutes(m)) for m in (w.figures.median_wait for w in weeks)],
            None,
        ),
        (
            "chart-ack",
            t.chart_ack,
            [(None if s is None else s * 100, _percent(s)) for s in (w.figures.acknowledged_in_time for w in weeks)],
            100.0,
        ),
        (
            "chart-answered",
            t.chart_answered,
            [(None if s is None else s * 100, _percent(s)) for s in (w.figures.answered_in_time for w in weeks)],
            100.0,
        ),
    ]
    charts = []
    for chart_id, title, points, maximum in series:
        bars = [Bar(label, value, text) for label, (value, text) in zip(labels, points, strict=True)]
        desc = t("chart_desc", values="; ".join(f"{b.label}: {b.text}" for b in bars))
        charts.append((chart_id, bar_chart(chart_id, title, desc, bars, maximum)))
    return charts


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
        weeks = await trends.weekly(db, profile, start, end)

    def duration(seconds: float | None) -> str | None:
        return None if seconds is None else f"{seconds / 60:.1f} min"

    status = 200 if dates_ok else 400
    return await render(
        request,
        "staff_figures.html",
        status,
        f=result,
        duration=duration,
        dates_ok=dates_ok,
        weeks=weeks,
        charts=weekly_charts(texts_of(request), weeks),
        percent=_percent,
        minutes=_minutes,
    )
