"""The municipality profile: one YAML file that describes the municipality.

Everything municipal the assistant says (name, contact channels, opening hours, departments and their
deadlines) comes from this file; nothing municipal is hard-coded. The example profile
``profiles/example.yml`` describes a fictional municipality.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from bot.core.geo import MapArea, MapAreaError, parse_map_area

DEFAULT_LANGUAGE = "sv"
"""Swedish: the language of a Swedish municipality and of its staff (språklagen 10 §). The default of
``KOMMUN_DEFAULT_LANGUAGE`` and ``KOMMUN_STAFF_LANGUAGE``, and the fallback of department names."""

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday keys in the order of :meth:`datetime.date.weekday` (Monday = 0)."""

SERVICE_TOPICS = (
    "interpreter", "public_documents", "appeal_decision", "building_permit", "waste_collection",
    "preschool_school", "financial_aid", "elderly_care", "parking",
)  # fmt: skip
"""Topics whose answers link to a page of the municipality's web site (profile section ``services``)."""

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class ProfileError(ValueError):
    """The profile file is missing, not YAML, or lacks a required field (message names the field)."""


@dataclass(frozen=True)
class Department:
    """A department (area) of the municipality.

    ``name`` maps language code to display name; ``reply_working_days`` is the reply deadline for
    cases in this area, in working days (``None``: the profile default applies); ``asks_place``:
    the complaint form asks where it happened (streets, parks, waste collection …); ``keywords``
    maps language code to the words residents type for this department ("skolan", "dagis",
    "fritids*"; ``*`` matches any ending), read by the complaint form besides the names; ``email``
    is the department's functional mailbox (funktionsbrevlåda), told about chats nobody takes
    (``None``: the profile's ``contact.email``). ``lex_sarah``: the department runs social services or
    support under LSS, where staff must report abuse or neglect in care (Lex Sarah: SoL 14 kap. 3 §,
    LSS 24 a §); in a complaint about another named department (a school, a street) an unsure
    abuse-in-care or crisis reading of the description does not hand the chat over (issue 14).
    """

    id: str
    name: dict[str, str]
    reply_working_days: int | None = None
    asks_place: bool = False
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    email: str | None = None
    lex_sarah: bool = False

    def display_name(self, language: str, fallback: str = DEFAULT_LANGUAGE) -> str:
        """Name in ``language``, else in ``fallback``, else the id."""
        return self.name.get(language) or self.name.get(fallback) or self.id


@dataclass(frozen=True)
class Profile:
    """A parsed, validated municipality profile.

    ``opening_hours`` maps weekday key (``mon`` … ``sun``) to ``(opens, closes)``; a missing day is
    closed. ``services`` maps a topic (one of :data:`SERVICE_TOPICS`) to the URL of its web page.
    Deadlines are in working days. The default acknowledgement deadline of 2 working days and reply
    deadline of 10 follow common Swedish municipal service declarations (e.g. "svar inom två
    arbetsdagar").

    Handoff (section ``handoff``): ``handoff_expected_wait_minutes`` is the wait the resident is told
    before there is any history to estimate it from; after ``handoff_unclaimed_minutes`` without a
    case officer the resident is told nobody is free and the case stays open. ``suicide_line`` and
    ``violence_line`` (section ``crisis_lines``) are the national help lines named in a crisis
    (Självmordslinjen, Kvinnofridslinjen); a municipality may name its own. ``retention_days``
    (section ``retention.closed_case_days``): how long after closing a case its personal data and
    transcript are kept — set it from the municipality's records management plan
    (dokumenthanteringsplan, arkivlagen 1990:782); 730 days (2 years) is a common period for feedback.

    Staff console (section ``staff``): ``staff_idle_timeout_minutes`` (``staff.idle_timeout_minutes``,
    default 30) ends a staff login after that long without a request (besides the absolute 8 hours).
    """

    name: str
    short_name: str
    website: str
    privacy_url: str
    timezone: str
    phone: str
    email: str
    visiting_address: str
    web_form: str
    opening_hours: dict[str, tuple[time, time]]
    acknowledgement_working_days: int = 2
    reply_working_days: int = 10
    departments: tuple[Department, ...] = field(default_factory=tuple)
    services: dict[str, str] = field(default_factory=dict)
    handoff_expected_wait_minutes: int = 5
    handoff_unclaimed_minutes: int = 10
    suicide_line: str = "90101"
    violence_line: str = "020-50 50 50"
    retention_days: int = 730
    widget_allowed_origins: tuple[str, ...] = ()
    map_area: MapArea | None = None
    """Section ``map``: where shared positions may lie and the staff's map link (:mod:`bot.core.geo`)."""
    staff_idle_timeout_minutes: int = 30

    def department(self, department_id: str) -> Department:
        """The department with this id.

        Raises:
            KeyError: no such department.
        """
        for dep in self.departments:
            if dep.id == department_id:
                return dep
        raise KeyError(department_id)

    @property
    def general_department(self) -> Department:
        """The department for cases that fit no other: the one with id ``general``, else the last one."""
        for dep in self.departments:
            if dep.id == "general":
                return dep
        return self.departments[-1]

    def mailbox_for(self, department_id: str | None) -> str:
        """The functional mailbox of an area (its ``email``), else of the general department, else ``contact.email``."""
        try:
            department = self.department(department_id) if department_id else self.general_department
        except KeyError:
            department = self.general_department
        return department.email or self.general_department.email or self.email

    def reply_days_for(self, department_id: str | None) -> int:
        """Reply deadline in working days for an area (the area's own, else the default)."""
        if department_id:
            try:
                own = self.department(department_id).reply_working_days
            except KeyError:
                own = None
            if own is not None:
                return own
        return self.reply_working_days


def _require(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or node.get(part) in (None, ""):
            raise ProfileError(f"profile: missing required field '{path}'")
        node = node[part]
    return node


def _parse_time(value: Any, where: str) -> time:
    if not isinstance(value, str) or not _TIME.match(value):
        raise ProfileError(f"profile: '{where}' must be a time like \"08:00\", got {value!r}")
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _keywords(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    """``{language: [word, …]}`` of a department, validated; missing → empty."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(words, list) and all(isinstance(w, str) and w.strip() for w in words) for words in value.values()
    ):
        raise ProfileError(f"profile: '{where}' must map a language code to a list of words")
    return {str(language): tuple(words) for language, words in value.items()}


def _mailbox(value: Any, where: str) -> str | None:
    """A department's functional mailbox: an e-mail address, or ``None`` when not given.

    Raises:
        ProfileError: not an e-mail address.
    """
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value.strip()):
        raise ProfileError(f"profile: '{where}' must be an e-mail address, got {value!r}")
    return value.strip()


def _positive_int(value: Any, where: str, unit: str = "working days") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ProfileError(f"profile: '{where}' must be a whole number of {unit} ≥ 1")
    return value


def _origin(value: Any, where: str) -> str:
    """``scheme://host[:port]`` of a web address, lower case, without path.

    Raises:
        ProfileError: not an http(s) address with a host.
    """
    parts = urlsplit(str(value).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise ProfileError(f"profile: '{where}' must be a web site's origin like https://www.kommun.se, got '{value}'")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def parse_profile(data: Any) -> Profile:
    """Validate a profile already loaded from YAML.

    Raises:
        ProfileError: a required field is missing or has the wrong shape.
    """
    if not isinstance(data, dict):
        raise ProfileError("profile: the file must be a YAML mapping")
    hours: dict[str, tuple[time, time]] = {}
    raw_hours = data.get("opening_hours") or {}
    if not isinstance(raw_hours, dict):
        raise ProfileError("profile: 'opening_hours' must map weekdays to [opens, closes]")
    for day, span in raw_hours.items():
        if day not in WEEKDAYS:
            raise ProfileError(f"profile: unknown weekday '{day}' in opening_hours (use {', '.join(WEEKDAYS)})")
        if not isinstance(span, list) or len(span) != 2:
            raise ProfileError(f"profile: 'opening_hours.{day}' must be [opens, closes]")
        opens = _parse_time(span[0], f"opening_hours.{day}")
        closes = _parse_time(span[1], f"opening_hours.{day}")
        if closes <= opens:
            raise ProfileError(f"profile: 'opening_hours.{day}' closes before it opens")
        hours[day] = (opens, closes)
    deadlines = data.get("deadlines") or {}
    departments = []
    for index, dep in enumerate(data.get("departments") or []):
        if not isinstance(dep, dict) or not dep.get("id") or not isinstance(dep.get("name"), dict):
            raise ProfileError(f"profile: departments[{index}] needs an 'id' and a 'name' per language")
        reply = dep.get("reply_working_days")
        departments.append(
            Department(
                id=str(dep["id"]),
                name={str(k): str(v) for k, v in dep["name"].items()},
                reply_working_days=None
                if reply is None
                else _positive_int(reply, f"departments[{index}].reply_working_days"),
                asks_place=bool(dep.get("asks_place", False)),
                keywords=_keywords(dep.get("keywords"), f"departments[{index}].keywords"),
                email=_mailbox(dep.get("email"), f"departments[{index}].email"),
                lex_sarah=bool(dep.get("lex_sarah", False)),
            )
        )
    if not departments:
        raise ProfileError("profile: at least one department is required under 'departments'")
    services = data.get("services") or {}
    if not isinstance(services, dict):
        raise ProfileError("profile: 'services' must map topics to web page URLs")
    for topic in SERVICE_TOPICS:
        if not services.get(topic):
            raise ProfileError(f"profile: missing required field 'services.{topic}' (URL of the page on {topic})")
    handoff = data.get("handoff") or {}
    crisis = data.get("crisis_lines") or {}
    retention = data.get("retention") or {}
    if not isinstance(handoff, dict) or not isinstance(crisis, dict) or not isinstance(retention, dict):
        raise ProfileError("profile: 'handoff', 'crisis_lines' and 'retention' must be mappings")
    website = str(_require(data, "municipality.website"))
    widget = data.get("widget") or {}
    origins = widget.get("allowed_origins") if isinstance(widget, dict) else None
    if origins is None:
        origins = [urlunsplit((*urlsplit(website)[:2], "", "", ""))]
    if not isinstance(origins, list):
        raise ProfileError("profile: 'widget.allowed_origins' must be a list of web site origins")
    staff = data.get("staff") or {}
    if not isinstance(staff, dict):
        raise ProfileError("profile: 'staff' must be a mapping")
    allowed = tuple(_origin(o, f"widget.allowed_origins[{i}]") for i, o in enumerate(origins))
    try:
        map_area = parse_map_area(data.get("map"))
    except MapAreaError as exc:
        raise ProfileError(str(exc)) from None
    return Profile(
        name=str(_require(data, "municipality.name")),
        short_name=str(data["municipality"].get("short_name") or data["municipality"]["name"]),
        website=website,
        privacy_url=str(_require(data, "municipality.privacy_url")),
        timezone=str(data["municipality"].get("timezone") or "Europe/Stockholm"),
        phone=str(_require(data, "contact.phone")),
        email=str(_require(data, "contact.email")),
        visiting_address=str(_require(data, "contact.visiting_address")),
        web_form=str(_require(data, "contact.web_form")),
        opening_hours=hours,
        acknowledgement_working_days=_positive_int(
            deadlines.get("acknowledgement_working_days", 2), "deadlines.acknowledgement_working_days"
        ),
        reply_working_days=_positive_int(deadlines.get("reply_working_days", 10), "deadlines.reply_working_days"),
        departments=tuple(departments),
        services={str(k): str(v) for k, v in services.items()},
        handoff_expected_wait_minutes=_positive_int(
            handoff.get("expected_wait_minutes", 5), "handoff.expected_wait_minutes", "minutes"
        ),
        handoff_unclaimed_minutes=_positive_int(
            handoff.get("unclaimed_minutes", 10), "handoff.unclaimed_minutes", "minutes"
        ),
        suicide_line=str(crisis.get("suicide") or "90101"),
        violence_line=str(crisis.get("violence") or "020-50 50 50"),
        retention_days=_positive_int(retention.get("closed_case_days", 730), "retention.closed_case_days", "days"),
        widget_allowed_origins=allowed,
        map_area=map_area,
        staff_idle_timeout_minutes=_positive_int(
            staff.get("idle_timeout_minutes", 30), "staff.idle_timeout_minutes", "minutes"
        ),
    )


def load_profile(path: Path) -> Profile:
    """Read and validate the profile at ``path``.

    Raises:
        ProfileError: the file is missing, is not valid YAML, or fails validation.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"profile: cannot read {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProfileError(f"profile: {path} is not valid YAML: {exc}") from exc
    return parse_profile(data)
