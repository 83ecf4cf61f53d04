"""One case's page and the actions on it: chat message, note, status, close, hand back, reassign.

Each checks the role first (:mod:`bot.cases.access` through :mod:`..guard`): an unknown reference is a
404, an action the role does not allow a 403 that is written to the case's audit trail.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.cases import access, workflow
from bot.chat.rasa_client import RasaUnavailable
from bot.store import conversations as convs
from bot.store import desk
from bot.store.models import Conversation, StaffMember
from bot.web.keys import DESK, SESSIONS, SETTINGS
from bot.web.staff.auth import staff_only
from bot.web.staff.guard import case_for
from bot.web.staff.render import act_on_case, back, flash, render, texts_of, wants_json
from bot.web.staff.texts import phrase_label, staff_phrasebook
from bot.web.staff.views.photos import case_media

NOTE_MAX_CHARS = 4000


async def _case_context(request: web.Request, reference: str, audit: bool) -> dict[str, Any]:
    me: StaffMember = request["staff"]
    await case_for(request, reference, access.VIEW)
    async with request.app[SESSIONS]() as db, db.begin():
        case = await desk.get_case(db, reference)
        if audit:
            await desk.record_event(db, case.id, "viewed", desk.staff_actor(me), {"staff_id": me.id})
        conversation = await db.get(Conversation, case.conversation_id) if case.conversation_id else None
        transcript = await convs.transcript(db, case.conversation_id) if case.conversation_id else []
        events = await desk.case_events(db, case.id)
        people = await desk.staff_names(db)
        media = await case_media(db, request, case)  # photos and positions the resident sent (issue 20)
    mode = conversation.mode if conversation else None
    return {
        "case": case,
        "conversation": conversation,
        "transcript": transcript,
        "notes": [e for e in events if e.kind == "note"],
        "events": [e for e in events if e.kind != "viewed"],
        "people": people,
        "live": mode == workflow.HUMAN and case.assigned_staff_id == me.id,
        "mode": mode,
        "assigned": people.get(case.assigned_staff_id) if case.assigned_staff_id else None,
        "statuses": workflow.STAFF_STATUSES,
        # the phrasebook (issue 17)
        "phrasebook": staff_phrasebook(request.app[SETTINGS].staff_language),
        "phrase_label": lambda key: phrase_label(request.app[SETTINGS].staff_language, key),
        **media,
        "may_act": access.may(me, access.STATUS, case),
        "may_reassign": access.may(me, access.REASSIGN, case),
        "officers": [m for m in people.values() if m.active and access.sees_cases(m)],
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


@staff_only
async def send_message(request: web.Request) -> web.StreamResponse:
    """A case officer's chat message to the resident (from the form or the page's script).

    Own text comes in ``text``; a phrasebook reply in ``phrase`` (its key, issue 17), which the resident
    gets in their language.
    """
    reference = request.match_info["reference"]
    text = request["form"].get("text", "").strip()
    phrase = request["form"].get("phrase", "").strip()[:64]
    settings = request.app[SETTINGS]
    error = None
    if not text and not phrase:
        error = "empty_text"
    elif len(text) > settings.max_message_chars:
        text = text[: settings.max_message_chars]
    if error is None:
        desk_ = request.app[DESK]
        try:
            if phrase:
                await desk_.staff_phrase(reference, request["staff"], phrase)
            else:
                await desk_.staff_message(reference, request["staff"], text)
        except KeyError:
            error = "phrase_unknown"
        except (workflow.StaleCase, LookupError):
            error = "not_your_chat"
    if wants_json(request):
        return web.json_response({"ok": error is None, "error": texts_of(request)(error) if error else None})
    await flash(request, error or "message_sent")
    raise back(reference, "#phrasebook" if phrase else "#composer")


@staff_only
async def add_note(request: web.Request) -> web.Response:
    """Save an internal note (the resident never sees it)."""
    reference = request.match_info["reference"]
    text = request["form"].get("text", "").strip()[:NOTE_MAX_CHARS]
    await case_for(request, reference, access.NOTE)
    action = request.app[DESK].add_note(reference, request["staff"], text)
    await act_on_case(request, reference, action, "note_saved", "#notes", {ValueError: ("empty_text", "#notes")})


@staff_only
async def change_status(request: web.Request) -> web.Response:
    """Set the status by hand (only if it is still what the staff member saw: else a message)."""
    reference = request.match_info["reference"]
    form = request["form"]
    status = form.get("status", "")
    if status not in workflow.SET_BY_HAND:
        raise web.HTTPBadRequest(text="unknown status")
    await case_for(request, reference, access.STATUS)
    action = request.app[DESK].set_status(reference, request["staff"], status, form.get("expected", ""))
    await act_on_case(request, reference, action, "status_changed")


@staff_only
async def close(request: web.Request) -> web.Response:
    """Close the case with a resolution; its live chat ends and the resident is told."""
    reference = request.match_info["reference"]
    form = request["form"]
    resolution = form.get("resolution", "")[:NOTE_MAX_CHARS]
    await case_for(request, reference, access.CLOSE)
    action = request.app[DESK].close_case(reference, request["staff"], resolution, form.get("expected", ""))
    await act_on_case(request, reference, action, "closed_done", problems={ValueError: ("empty_text", "#close")})


@staff_only
async def hand_back(request: web.Request) -> web.Response:
    """Give the chat back to the bot, which greets the resident in their language."""
    reference = request.match_info["reference"]
    await case_for(request, reference, access.HAND_BACK)
    action = request.app[DESK].hand_back(reference, request["staff"])
    await act_on_case(request, reference, action, "handed_back", problems={RasaUnavailable: ("rasa_unavailable", "")})


@staff_only
async def reassign(request: web.Request) -> web.Response:
    """A supervisor gives the case (and its live chat, if any) to another case officer."""
    reference = request.match_info["reference"]
    await case_for(request, reference, access.REASSIGN)
    try:
        to_id = int(request["form"].get("staff_id", ""))
    except ValueError:
        raise web.HTTPBadRequest(text=texts_of(request).not_found) from None
    action = request.app[DESK].reassign(reference, request["staff"], to_id)
    await act_on_case(request, reference, action, "reassigned", problems={LookupError: ("reassign_unknown", "")})
