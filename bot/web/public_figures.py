"""``/key-figures``: the public key figures per month and department, for residents (no login; issue 17).

Swedish municipal service policies ask for reachability, waiting time, lead time and result to be public.
The page shows the aggregates of :func:`bot.store.trends.monthly_by_department` in the resident's language
(``?lang=``, else the browser's ``Accept-Language``, else the default), from the resident catalogs
(``public_figures``). No personal data: only counts, a median and shares; a cell computed from fewer than
:data:`~bot.store.trends.MIN_CELL` cases says "fewer than 5" instead of its number.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.core.catalog import render_text
from bot.store import trends
from bot.web.keys import CATALOGS, PROFILE, SESSIONS, SETTINGS, TEMPLATES
from bot.web.resident import accepted_languages

MONTHS_SHOWN = 12
"""How many calendar months the page shows (the current one first)."""


def _language(request: web.Request) -> str:
    catalogs = request.app[CATALOGS]
    wanted = [request.query.get("lang", ""), *accepted_languages(request.headers.get("Accept-Language", ""))]
    return next((code for code in wanted if catalogs.supports(code)), request.app[SETTINGS].default_language)


def _cells(figures: trends.Indicators, texts: dict[str, str]) -> list[str]:
    """The row of one group: cases, handoffs, median wait, acknowledged and answered in time."""

    def shown(text: str, base: int) -> str:
        return text if base >= trends.MIN_CELL else texts["fewer_than_5"]

    def share(value: float | None, base: int) -> str:
        text = texts["no_data"] if value is None else render_text(texts["percent"], {"percent": f"{value * 100:.0f}"})
        return shown(text, base)

    wait = figures.median_wait
    return [
        shown(str(figures.cases), figures.cases),
        shown(str(figures.handoffs), figures.handoffs),
        shown(
            texts["no_data"] if wait is None else render_text(texts["minutes"], {"minutes": f"{wait / 60:.0f}"}),
            figures.waits,
        ),
        share(figures.acknowledged_in_time, figures.acknowledgement_base),
        share(figures.answered_in_time, figures.answer_base),
    ]


async def key_figures_page(request: web.Request) -> web.Response:
    """The public key figures of the last 12 months per department, in the resident's language."""
    app = request.app
    catalogs, profile = app[CATALOGS], app[PROFILE]
    language = _language(request)
    values = catalogs.profile_values(profile, language)
    texts = {k: render_text(v, values) for k, v in catalogs.get(language).public_figures.items()}
    async with app[SESSIONS]() as db:
        months = await trends.monthly_by_department(db, profile, MONTHS_SHOWN)
    while months and not (months[-1].period.chats or months[-1].period.figures.cases):
        months.pop()  # no months before the service started
    month_names = catalogs.get(language).format["months"]
    shown: list[dict[str, Any]] = []
    for month in months:
        start = month.period.start
        heading = render_text(texts["month"], {"month": month_names[start.month - 1], "year": start.year})
        total = month.period
        shown.append(
            {
                "id": f"m{start:%Y-%m}",
                "heading": heading[:1].upper() + heading[1:],
                "chats": str(total.chats) if total.chats >= trends.MIN_CELL else texts["fewer_than_5"],
                "total": _cells(total.figures, texts),
                "departments": [
                    (profile.department(dep_id).display_name(language), _cells(figures, texts))
                    for dep_id, figures in month.departments
                ],
            }
        )
    html = (
        app[TEMPLATES]
        .get_template("public_figures.html")
        .render(
            language=language,
            dir=catalogs.get(language).direction,
            t=texts,
            months=shown,
            languages=[(code, catalogs.get(code).name) for code in catalogs.languages if code != language],
        )
    )
    return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "public, max-age=300"})
