"""The case list: filters by status, area, kind, language and dates, search by reference, CSV export.

Both show only the cases the staff member's role may see (:func:`bot.store.reporting.visible_to`). A
date that cannot be read or lies outside :data:`FIRST_DATE`–:data:`LAST_DATE`, and a page number
that is not 1–:data:`MAX_PAGE`, get 400 (the list page says what is wrong), never a 500.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.cases import access, workflow
from bot.store import desk, photos, reporting
from bot.store.cases import CASE_KINDS
from bot.store.models import StaffMember, aware
from bot.web.keys import CATALOGS, PROFILE, SESSIONS
from bot.web.staff.auth import staff_only
from bot.web.staff.guard import require
from bot.web.staff.render import render, texts_of

PAGE_SIZE = 100
EXPORT_LIMIT = 10_000
MAX_PAGE = 100_000
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2999, 12, 31)
"""The dates a filter accepts (anything else is a typo: no case is that old or that far ahead)."""


def parse_date(value: str | None) -> date | None:
    """An ISO date of the query string, ``None`` when empty.

    Raises:
        ValueError: not an ISO date, or outside :data:`FIRST_DATE`–:data:`LAST_DATE`.
    """
    if not value:
        return None
    day = date.fromisoformat(value[:10] if len(value) > 10 else value)
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ValueError(f"date out of range: {value!r}")
    return day


def _filters(request: web.Request) -> tuple[reporting.CaseFilter, bool]:
    """Filters from the query string; the flag is False when a date could not be read."""
    query = request.query
    ok = True
    try:
        date_from, date_to = parse_date(query.get("from")), parse_date(query.get("to"))
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
    await require(request, access.sees_cases, "case_list")
    filters, dates_ok = _filters(request)
    raw_page = request.query.get("page", "1")
    if not (raw_page.isascii() and raw_page.isdigit() and len(raw_page) <= 7 and 1 <= int(raw_page) <= MAX_PAGE):
        raise web.HTTPBadRequest(text=texts_of(request).bad_page)
    page = int(raw_page)
    async with request.app[SESSIONS]() as db:
        cases, total = await reporting.search_cases(
            db, request.app[PROFILE], filters, PAGE_SIZE, (page - 1) * PAGE_SIZE, request["staff"]
        )
    query = {k: v for k, v in request.query.items() if k != "page" and v}
    return await render(
        request,
        "staff_cases.html",
        status=200 if dates_ok else 400,
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
        areas=[d.id for d in request.app[PROFILE].departments],
        languages=request.app[CATALOGS].languages,
    )


CSV_COLUMNS = (
    "reference", "created_at", "kind", "area", "status", "language", "interpreter_needed", "anonymous",
    "acknowledgement_due", "reply_due", "acknowledged_at", "handoff_at", "claimed_at", "first_staff_reply_at",
    "closed_at",
)  # fmt: skip
"""Columns of the CSV export: no description and no contact details (personal data stays in the case)."""
CSV_COLUMNS = (*CSV_COLUMNS, "photos")  # how many photos the resident sent (issue 20); never the photos


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
    """The filtered cases the member may see as CSV (UTF-8 with BOM); each export is audited.

    Raises:
        aiohttp.web.HTTPBadRequest: a date cannot be read. aiohttp.web.HTTPForbidden: a role without cases.
    """
    await require(request, access.sees_cases, "export")
    filters, dates_ok = _filters(request)
    if not dates_ok:
        raise web.HTTPBadRequest(text=texts_of(request).bad_date)
    me: StaffMember = request["staff"]
    async with request.app[SESSIONS]() as db, db.begin():
        cases, _ = await reporting.search_cases(db, request.app[PROFILE], filters, EXPORT_LIMIT, 0, me)
        for case in cases:
            await desk.record_event(db, case.id, "exported", desk.staff_actor(me), {"staff_id": me.id})
        photo_counts = await photos.photo_counts(db, [case.id for case in cases])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for case in cases:
        row = {**{c: getattr(case, c, None) for c in CSV_COLUMNS}, "language": case.reply_language}
        row["photos"] = photo_counts.get(case.id, 0)
        writer.writerow([_csv_cell(row[c]) for c in CSV_COLUMNS])
    return web.Response(
        body=("\ufeff" + buffer.getvalue()).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="cases.csv"'},
    )
