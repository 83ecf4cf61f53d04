"""Role checks of the staff console (:mod:`bot.cases.access`): every refusal is a 403 and is audited.

A refusal on a case is an entry in its audit trail (case event ``refused`` with the action and who);
every refusal is also a line in the ``bot.audit`` log (username and action, control characters escaped).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, NoReturn

from aiohttp import web

from bot.cases import access
from bot.store import desk
from bot.store.models import Case, StaffMember
from bot.web.keys import SESSIONS
from bot.web.middleware import log_safe
from bot.web.staff.render import texts_of

audit_log = logging.getLogger("bot.audit")


async def refuse(request: web.Request, action: str, case: Case | None = None) -> NoReturn:
    """Audit the refusal of ``action`` (on ``case``) to the request's staff member, then answer 403.

    Raises:
        aiohttp.web.HTTPForbidden: always.
    """
    me: StaffMember = request["staff"]
    if case is not None:
        async with request.app[SESSIONS]() as db, db.begin():
            await desk.record_event(db, case.id, "refused", desk.staff_actor(me), {"staff_id": me.id, "action": action})
    where = f" on {case.reference}" if case is not None else ""
    audit_log.warning("refused %s%s to staff:%s (%s)", action, where, log_safe(me.username), me.role)
    raise web.HTTPForbidden(text=texts_of(request).not_allowed)


async def load_case(request: web.Request, reference: str) -> Case:
    """The case, for a staff page or action.

    Raises:
        aiohttp.web.HTTPNotFound: unknown reference.
    """
    async with request.app[SESSIONS]() as db:
        try:
            return await desk.get_case(db, reference[:32])
        except LookupError:
            raise web.HTTPNotFound(text=texts_of(request).not_found) from None


async def case_for(request: web.Request, reference: str, action: str) -> Case:
    """The case, if the request's staff member may take ``action`` on it (:func:`bot.cases.access.may`).

    Raises:
        aiohttp.web.HTTPNotFound: unknown reference.
        aiohttp.web.HTTPForbidden: the role does not allow it (audited).
    """
    case = await load_case(request, reference)
    if not access.may(request["staff"], action, case):
        await refuse(request, action, case)
    return case


async def require(request: web.Request, allowed: Callable[[Any], bool], action: str) -> None:
    """Go on only if ``allowed(member)`` (e.g. :func:`bot.cases.access.is_supervisor`).

    Raises:
        aiohttp.web.HTTPForbidden: not allowed (audited).
    """
    if not allowed(request["staff"]):
        await refuse(request, action)
