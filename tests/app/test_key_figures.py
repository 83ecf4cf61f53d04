"""Key figures over time (issue 17): per week for the staff charts, per month and department for the public page."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import date, datetime, timedelta, timezone

from bot.cases.access import SUPERVISOR
from bot.store import trends
from bot.store.models import Case, Conversation, utcnow
from bot.store.staff import add_staff, hash_password
from tests.app.test_staff_web import PASSWORD, login

UTC = timezone.utc
_numbers = itertools.count(1)


def case(created: datetime, **times) -> Case:
    """A case with personal data in it (which must never show), filed at ``created``."""
    number = next(_numbers)
    return Case(
        reference=f"SYN-2026-{number:05d}-{uuid.uuid4().hex[:6]}",
        kind="complaint",
        description="Hemlig beskrivning",
        contact_name="Karin Hemlig",
        contact_email="karin.hemlig@example.se",
        contact_phone="070-111 22 33",
        status="received",
        created_at=created,
        updated_at=created,
        **times,
    )


def chat(created: datetime) -> Conversation:
    return Conversation(
        id=uuid.uuid4().hex, token_hash=uuid.uuid4().hex * 2, language="sv", mode="bot", created_at=created
    )


def first_monday(year: int) -> date:
    """The first Monday of November ``year`` (each test its own year: the PostgreSQL database is shared)."""
    first = date(year, 11, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def week_a_and_b(monday: date) -> list:
    """Week A (from ``monday``): 6 cases, 4 handoffs, 3 chats; week B (the next): 2 cases, 1 chat."""
    a, b = at(monday + timedelta(days=1)), at(monday + timedelta(days=8))
    ack_due, reply_due = monday + timedelta(days=3), monday + timedelta(days=8)
    on_time, late = at(monday + timedelta(days=2), 9), at(monday + timedelta(days=4), 9)
    later_ack, later_reply = monday + timedelta(days=23), monday + timedelta(days=29)
    rows = [
        case(a, area="waste", handoff_at=a, claimed_at=a + timedelta(seconds=60), acknowledged_at=on_time,
             acknowledgement_due=ack_due, reply_due=reply_due, closed_at=at(monday + timedelta(days=7), 9)),
        case(a, area="waste", handoff_at=a, claimed_at=a + timedelta(seconds=120), acknowledged_at=on_time,
             acknowledgement_due=ack_due, reply_due=reply_due),
        case(a, area="waste", handoff_at=a, claimed_at=a + timedelta(seconds=300), acknowledged_at=on_time,
             acknowledgement_due=ack_due, reply_due=reply_due),
        case(a, area="school", handoff_at=a, acknowledged_at=late, acknowledgement_due=ack_due, reply_due=reply_due),
        case(a, area="school", acknowledgement_due=ack_due, reply_due=reply_due),
        case(a, area=None, acknowledgement_due=ack_due, reply_due=reply_due),
        case(b, area="waste", acknowledgement_due=later_ack, reply_due=later_reply),
        case(b, area="waste", acknowledgement_due=later_ack, reply_due=later_reply),
    ]  # fmt: skip
    return [*rows, chat(a), chat(a), chat(a + timedelta(days=2)), chat(b)]


async def test_weekly_figures_of_a_known_data_set(sessions, profile):
    monday = first_monday(2081)
    async with sessions() as s, s.begin():
        s.add_all(week_a_and_b(monday))
    async with sessions() as s:
        now = at(monday + timedelta(days=18))
        weeks = await trends.weekly(s, profile, monday + timedelta(days=2), monday + timedelta(days=10), now=now)
    assert [(w.start, w.end) for w in weeks] == [
        (monday, monday + timedelta(days=6)),
        (monday + timedelta(days=7), monday + timedelta(days=13)),
    ]
    first, second = weeks
    assert (first.chats, first.figures.cases, first.figures.handoffs) == (3, 6, 4)
    assert first.figures.median_wait == 120 and first.figures.waits == 3
    assert first.figures.acknowledged_in_time == 0.5 and first.figures.acknowledgement_base == 6
    assert first.figures.answered_in_time == 1 / 6 and first.figures.answer_base == 6
    assert (second.chats, second.figures.cases, second.figures.handoffs) == (1, 2, 0)
    assert second.figures.median_wait is None
    assert second.figures.acknowledged_in_time is None and second.figures.acknowledgement_base == 0  # not due yet


async def test_monthly_figures_per_department(sessions, profile):
    monday = first_monday(2082)
    async with sessions() as s, s.begin():
        s.add_all(week_a_and_b(monday))
    async with sessions() as s:
        months = await trends.monthly_by_department(s, profile, months=2, now=at(monday + timedelta(days=18)))
    november, october = months
    assert november.period.start == date(2082, 11, 1) and october.period.start == date(2082, 10, 1)
    assert november.period.chats == 4 and november.period.figures.cases == 8
    by_department = dict(november.departments)
    assert [d.id for d in profile.departments] == [key for key, _ in november.departments]
    assert by_department["waste"].cases == 5 and by_department["waste"].handoffs == 3
    assert by_department["school"].cases == 2 and by_department["building"].cases == 0
    assert october.period.figures.cases == 0


async def test_the_public_page_needs_no_login_hides_small_cells_and_shows_nothing_personal(client, db, profile):
    now = utcnow()
    rows = [case(now, area="waste", handoff_at=now, claimed_at=now + timedelta(minutes=4)) for _ in range(6)]
    rows += [case(now, area="school") for _ in range(2)]
    rows += [chat(now) for _ in range(7)]
    async with db() as s, s.begin():
        s.add_all(rows)
    response = await client.get("/key-figures?lang=sv", allow_redirects=False)
    assert response.status == 200  # no login, no redirect
    html = await response.text()
    assert "Hur snabbt" in html and '<html lang="sv" dir="ltr">' in html
    month = re.search(r'<section class="month">\s*<h2 id="(m\d{4}-\d{2})">(.*?)</section>', html, re.S)
    assert month, "no month on the page"
    section = month.group(2)
    assert f'id="{month.group(1)}-chats">7<' in section
    rows_by_name = {
        re.sub(r"<[^>]+>", "", name).strip(): re.findall(r"<td>([^<]*)</td>", cells)
        for name, cells in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', section, re.S)
    }
    waste = profile.department("waste").display_name("sv")
    school = profile.department("school").display_name("sv")
    assert rows_by_name["Alla förvaltningar"][:3] == ["8", "6", "4 min"]
    assert rows_by_name[waste][:3] == ["6", "6", "4 min"]
    assert rows_by_name[school] == ["färre än 5"] * 5  # 2 cases: no number at all
    for secret in ("Karin", "Hemlig", "karin.hemlig@example.se", "070-111", "SYN-2026-"):
        assert secret not in html
    arabic = await (await client.get("/key-figures", headers={"Accept-Language": "ar"})).text()
    assert '<html lang="ar" dir="rtl">' in arabic and "أقل من 5" in arabic


async def test_the_public_page_without_any_data_says_so(client):
    html = await (await client.get("/key-figures?lang=en")).text()
    assert "There are no numbers yet." in html and "<table" not in html


async def test_the_widget_texts_link_the_public_page_in_the_residents_language(client):
    data = await (await client.get("/api/ui/ar")).json()
    assert data["figures_url"] == "/key-figures?lang=ar" and data["figures_link"] == "ما مدى سرعة ردّنا"


async def test_the_staff_figures_page_has_weekly_svg_charts_with_the_numbers_in_a_table(client, db):
    now = utcnow()
    async with db() as s, s.begin():
        await add_staff(s, "bo", "Bo Ek", hash_password(PASSWORD), ["sv"], role=SUPERVISOR)  # key figures
        s.add_all([chat(now) for _ in range(3)] + [case(now, handoff_at=now, claimed_at=now + timedelta(minutes=2))])
    assert (await login(client, "bo")).status == 303
    html = await (await client.get("/staff/figures")).text()
    assert html.count("<svg ") == 5 and 'role="img"' in html and "<script>" not in html.split("</head>")[1]
    chats = re.search(r'<svg [^>]*id="chart-chats">(.*?)</svg>', html, re.S).group(1)
    assert '<title id="chart-chats-title">Chattar per vecka</title>' in chats
    assert re.findall(r'data-value="([^"]+)"', chats)[-1] == "3"  # this week's bar
    wait = re.search(r'<svg [^>]*id="chart-wait">(.*?)</svg>', html, re.S).group(1)
    assert re.findall(r'data-value="([^"]+)"', wait)[-1] == "2" and ": 2.0" in wait  # minutes, also in the desc
    table = re.search(r'<table class="counts" id="weekly-table">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", table)[-5:-2] == ["3", "1", "2.0"]
