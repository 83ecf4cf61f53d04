"""The case list: filters by status, area, kind, language and dates, search by reference, CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.cases import workflow
from bot.store import desk, photos, reporting
from bot.store.cases import CASE_KINDS
from bot.store.models import StaffMember, aware
from bot.web.keys import CATALOGS, PROFILE, SESSIONS
from bot.web.staff.auth import staff_only
from bot.web.staff.render import render

PAGE_SIZE = 100
EXPORT_LIMIT = 10_000


def parse_date(value: str | None) -> date | None:
    """An ISO date of the query string, ``None`` when empty.

    Raises:
        ValueError: not an ISO date.
    """
    if not value:
        return None
    return date.fromisoformat(value)


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
    filters, dates_ok = _filters(request)
    try:
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page = 1
    async with request.app[SESSIONS]() as db:
        cases, total = await reporting.search_cases(
            db, request.app[PROFILE], filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
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
    """The filtered cases as CSV (UTF-8 with BOM for spreadsheet programs); each export is audited."""
    filters, _ = _filters(request)
    me: StaffMember = request["staff"]
    async with request.app[SESSIONS]() as db, db.begin():
        cases, _ = await reporting.search_cases(db, request.app[PROFILE], filters, limit=EXPORT_LIMIT)
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
