"""Who may do what in the staff console: roles as data, checked before every staff action.

Roles (``staff_member.role``):

- ``case_officer`` (handläggare): the cases of the departments they work for (``departments``, the
  profile's department ids), the cases assigned to them, and the live queue of chats nobody has
  taken yet (any case officer may take a waiting chat). Notes on any case they see. Status, close
  and hand back only on a case that is theirs (assigned to them), or on an unassigned case of their
  departments.
- ``supervisor``: every case of every department, every action on it, reassigning a case to another
  case officer, and the key figures.
- ``admin``: staff accounts (the accounts page: disable, enable, end sessions); no case contents
  (data minimisation, GDPR art. 5(1)(c) and 25: account administration needs no resident's data).

This follows the principle of least privilege for access to personal data in public
administration (offentlighets- och sekretesslagen 2009:400 ch. 10: only the officers who handle a case
need its personal data). Nothing here touches the database: the callers load the case and record a
refusal in its audit trail (:func:`bot.store.desk.record_event`, kind ``refused``).
"""

from __future__ import annotations

from typing import Any

from bot.cases import workflow

CASE_OFFICER, SUPERVISOR, ADMIN = "case_officer", "supervisor", "admin"
ROLES = (CASE_OFFICER, SUPERVISOR, ADMIN)

VIEW, NOTE, CLAIM, MESSAGE, STATUS, CLOSE, HAND_BACK, REASSIGN = (
    "view", "note", "claim", "message", "status", "close", "hand_back", "reassign",
)  # fmt: skip
ACTIONS = (VIEW, NOTE, CLAIM, MESSAGE, STATUS, CLOSE, HAND_BACK, REASSIGN)
"""Actions on a case the console checks (``message`` is also checked by the live chat itself)."""

OWNER_ACTIONS = (STATUS, CLOSE, HAND_BACK)
"""Actions only the case's own officer (or a supervisor) may take: they end or move someone's work."""


class AccessDenied(Exception):
    """A staff member tried an action their role does not allow (``action`` names it)."""

    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.action = action


def sees_cases(member: Any) -> bool:
    """True for roles that work with cases (case officers and supervisors; not admins)."""
    return member.role in (CASE_OFFICER, SUPERVISOR)


def is_supervisor(member: Any) -> bool:
    """True for supervisors (every case, reassigning, key figures)."""
    return member.role == SUPERVISOR


def is_admin(member: Any) -> bool:
    """True for admins (staff accounts)."""
    return member.role == ADMIN


def in_departments(member: Any, area: str | None) -> bool:
    """True when ``area`` is one of the departments the case officer works for."""
    return area is not None and area in (member.departments or [])


def may(member: Any, action: str, case: Any) -> bool:
    """True when ``member`` (a StaffMember) may take ``action`` (one of :data:`ACTIONS`) on ``case``.

    ``case`` needs ``area``, ``status`` and ``assigned_staff_id``.
    """
    if not sees_cases(member):
        return False
    if is_supervisor(member):
        return True
    mine = case.assigned_staff_id == member.id
    unassigned = case.assigned_staff_id is None
    waiting = unassigned and case.status == workflow.WAITING_FOR_STAFF
    if action in (VIEW, NOTE):
        return mine or waiting or in_departments(member, case.area)
    if action == CLAIM:
        return waiting
    if action == MESSAGE:
        return mine
    if action in OWNER_ACTIONS:
        return mine or (unassigned and in_departments(member, case.area))
    return False  # REASSIGN and anything unknown


def check(member: Any, action: str, case: Any) -> None:
    """Raise unless ``member`` may take ``action`` on ``case`` (see :func:`may`).

    Raises:
        AccessDenied: the role does not allow it.
    """
    if not may(member, action, case):
        raise AccessDenied(action)
