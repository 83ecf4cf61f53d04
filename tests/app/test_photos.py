"""Photos and positions a resident sends (issue 20): the upload endpoints, the stored image, the staff side.

The web app runs behind a test client with a real database (Rasa not running); every refusal is
answered in the resident's language and loses nothing sent before.
"""

from __future__ import annotations

import csv
import io

import aiohttp
import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.cases.access import SUPERVISOR
from bot.core.images import MAX_SIDE
from bot.store import conversations as convs
from bot.store.cases import NewCase, create_case
from bot.store.models import CaseEvent, GeoPosition, Photo, PhotoBlob
from bot.store.staff import add_staff, hash_password
from tests.app.test_staff_web import PASSWORD, login, receive
from tests.helpers.images import HTML_AS_JPG, PDF_AS_JPG, oversized, phone_jpeg, png_bomb, polyglot

INSIDE = {"latitude": 59.3293, "longitude": 18.0686, "accuracy": 12.5}  # inside the example profile's map box
ALLOWED = "https://www.exempelby.example"


@pytest.fixture
async def staff(db):
    async with db() as s, s.begin():
        await add_staff(s, "anna", "Anna Berg", hash_password(PASSWORD), ["sv"], role=SUPERVISOR)


async def resident(client, language: str = "sv") -> tuple[object, str]:
    ws = await client.ws_connect("/ws/chat")
    await ws.send_json({"type": "hello", "language": language})
    welcome = await receive(ws, lambda e: e["type"] == "welcome")
    return ws, welcome["token"]


def photo_form(data: bytes, name: str = "photo.jpg", use_position: bool = False) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("photo", io.BytesIO(data), filename=name, content_type="image/jpeg")
    if use_position:
        form.add_field("use_position", "1")
    return form


async def upload(client, token: str, data: bytes, headers: dict | None = None, **kwargs) -> tuple[int, dict]:
    response = await client.post(
        "/api/photos", data=photo_form(data, **kwargs), headers={"Authorization": f"Bearer {token}", **(headers or {})}
    )
    return response.status, await response.json()


async def test_a_photo_is_stored_re_encoded_without_metadata_and_shown_in_the_transcript(client, db):
    ws, token = await resident(client)
    status, body = await upload(client, token, phone_jpeg((4000, 3000)))
    assert status == 201 and body["ok"]
    event = await receive(ws, lambda e: e["type"] == "message" and e.get("photo"))
    assert event["photo"] == body["id"] and event["sender"] == "resident"
    async with db() as s:
        photo = await s.get(Photo, body["id"])
        blob = await s.get(PhotoBlob, photo.sha256)
    stored = Image.open(io.BytesIO(blob.data))
    assert stored.format == "JPEG" and max(stored.size) == MAX_SIDE == max(photo.width, photo.height)
    assert dict(stored.getexif()) == {} and "exif" not in stored.info and "comment" not in stored.info
    assert b"PhoneMaker" not in blob.data and b"Model X" not in blob.data
    async with db() as s:
        positions = (await s.execute(select(func.count(GeoPosition.id)))).scalar_one()
    assert positions == 0  # the photo's GPS tag is not used unless the resident agreed


async def test_the_photos_gps_tag_is_used_only_when_the_resident_agreed(client, db):
    _, token = await resident(client)
    status, body = await upload(client, token, phone_jpeg((800, 600), (59.33, 18.07)), use_position=True)
    assert status == 201 and body["position"] is True
    async with db() as s:
        position = (await s.execute(select(GeoPosition))).scalar_one()
    assert (round(position.latitude, 2), round(position.longitude, 2), position.source) == (59.33, 18.07, "photo")
    _, elsewhere = await upload(client, token, phone_jpeg((800, 600), (57.7, 11.97)), use_position=True)
    assert "Exempelby" in elsewhere["position_message"] and elsewhere["ok"]  # photo kept, position refused


async def test_bad_files_get_a_clear_message_in_the_residents_language_and_keep_what_was_sent(client, db, catalogs):
    _, token = await resident(client, "ar")
    status, body = await upload(client, token, phone_jpeg((600, 400)))
    assert status == 201
    cases = [
        (PDF_AS_JPG, 415, "photo_not_image"),
        (HTML_AS_JPG, 415, "photo_not_image"),
        (polyglot(), 415, "photo_not_image"),
        (png_bomb(50_000, 50_000), 415, "photo_too_many_pixels"),
        (oversized(11), 413, "photo_too_large"),
    ]
    for data, expected_status, key in cases:
        status, body = await upload(client, token, data)
        assert (status, body["ok"], body["code"]) == (expected_status, False, key)
        assert body["message"] == catalogs.system(key, "ar")
    async with db() as s:
        conversation = await convs.find_by_token(s, token)
        photos = (await s.execute(select(func.count(Photo.id)))).scalar_one()
        texts = [m.payload.get("photo") for m in await convs.transcript(s, conversation.id) if m.payload]
    assert photos == 1 and len([t for t in texts if t]) == 1  # the good photo stays, nothing else was stored


async def test_a_fourth_photo_is_refused_and_the_first_three_stay(client, db, catalogs):
    _, token = await resident(client, "pl")
    for _ in range(3):
        assert (await upload(client, token, phone_jpeg((300, 200))))[0] == 201
    status, body = await upload(client, token, phone_jpeg((300, 200)))
    assert (status, body["code"]) == (409, "photo_limit")
    assert body["message"] == catalogs.system("photo_limit", "pl")
    async with db() as s:
        assert (await s.execute(select(func.count(Photo.id)))).scalar_one() == 3


async def test_uploads_need_the_conversations_own_token_and_an_allowed_origin(client, db):
    _, token_a = await resident(client)
    _, token_b = await resident(client)
    forged = await upload(client, "not-a-token", phone_jpeg((300, 200)))
    assert forged[0] == 403 and forged[1]["code"] == "upload_session"
    status, body = await upload(client, token_b, phone_jpeg((300, 200)))  # B's token: stored for B only
    assert status == 201
    async with db() as s:
        a = await convs.find_by_token(s, token_a)
        b = await convs.find_by_token(s, token_b)
        photo = await s.get(Photo, body["id"])
    assert photo.conversation_id == b.id != a.id
    other = await upload(client, token_a, phone_jpeg((300, 200)), headers={"Origin": "https://evil.example"})
    assert other[0] == 403 and other[1]["code"] == "upload_origin"
    preflight = await client.options("/api/photos", headers={"Origin": "https://evil.example"})
    assert preflight.status == 403
    allowed = await client.post(
        "/api/photos",
        data=photo_form(phone_jpeg((300, 200))),
        headers={"Authorization": f"Bearer {token_a}", "Origin": ALLOWED},
    )
    assert allowed.status == 201 and allowed.headers["Access-Control-Allow-Origin"] == ALLOWED
    async with db() as s:
        mine = [p.conversation_id for p in (await s.execute(select(Photo))).scalars()]
    assert mine.count(a.id) == 1 and mine.count(b.id) == 1


async def test_a_position_is_kept_inside_the_municipality_and_refused_outside(client, db, catalogs):
    ws, token = await resident(client, "en")
    auth = {"Authorization": f"Bearer {token}"}
    inside = await client.post("/api/position", json=INSIDE, headers=auth)
    assert inside.status == 201
    event = await receive(ws, lambda e: e["type"] == "message" and e.get("position"))
    assert event["position"]["accuracy"] == 12.5
    outside = await client.post("/api/position", json={**INSIDE, "latitude": 57.7, "longitude": 11.97}, headers=auth)
    body = await outside.json()
    assert outside.status == 422 and body["message"] == catalogs.system(
        "position_outside", "en", {"municipality": "Exempelby kommun"}
    )
    broken = await client.post("/api/position", json={"latitude": "north"}, headers=auth)
    assert broken.status == 400 and (await broken.json())["code"] == "position_invalid"
    async with db() as s:
        stored = list((await s.execute(select(GeoPosition))).scalars())
    assert [(p.latitude, p.longitude, p.accuracy_m, p.source) for p in stored] == [(59.3293, 18.0686, 12.5, "device")]


async def test_staff_see_photos_and_position_on_the_case_and_the_csv_counts_them(client, db, staff, profile):
    _, token = await resident(client)
    _, body = await upload(client, token, phone_jpeg((300, 200)))
    await client.post("/api/position", json=INSIDE, headers={"Authorization": f"Bearer {token}"})
    async with db() as s, s.begin():
        conversation = await convs.find_by_token(s, token)
        case = await create_case(
            s,
            profile,
            NewCase(kind="fault_report", description="Trasig lampa", language="sv", conversation_id=conversation.id),
        )
        other = await create_case(s, profile, NewCase(kind="complaint", description="Annat", language="sv"))
    photo_url = f"/staff/cases/{case.reference}/photos/{body['id']}"
    anonymous = await client.get(photo_url, allow_redirects=False)
    assert anonymous.status == 303  # to the login page
    await login(client, "anna")
    page = await (await client.get(f"/staff/cases/{case.reference}")).text()
    assert photo_url in page and "59.329300, 18.068600" in page
    assert "https://www.openstreetmap.org/?mlat=59.329300&amp;mlon=18.068600" in page
    image = await client.get(photo_url)
    assert image.status == 200 and image.content_type == "image/jpeg" and "no-store" in image.headers["Cache-Control"]
    wrong_case = await client.get(f"/staff/cases/{other.reference}/photos/{body['id']}")
    assert wrong_case.status == 404
    exported = await (await client.get("/staff/cases.csv")).text()
    rows = {row["reference"]: row for row in csv.DictReader(io.StringIO(exported.lstrip("\ufeff")))}
    assert rows[case.reference]["photos"] == "1" and rows[other.reference]["photos"] == "0"
    assert "image" not in exported and "jpeg" not in exported.lower()


async def test_a_case_officer_of_another_department_gets_no_photo_and_the_refusal_is_audited(client, db, profile):
    """Photos follow the case's role rules (issue 17): a school officer may not open a street fault report's photo."""
    _, token = await resident(client)
    _, body = await upload(client, token, phone_jpeg((300, 200)))
    async with db() as s, s.begin():
        await add_staff(s, "skola", "Sara Skola", hash_password(PASSWORD), ["sv"], departments=["school"])
        await add_staff(s, "gata", "Gustav Gata", hash_password(PASSWORD), ["sv"], departments=["streets_parks"])
        conversation = await convs.find_by_token(s, token)
        case = await create_case(
            s,
            profile,
            NewCase(
                kind="fault_report",
                area="streets_parks",
                description="Trasig lampa",
                language="sv",
                conversation_id=conversation.id,
            ),
        )
    photo_url = f"/staff/cases/{case.reference}/photos/{body['id']}"
    await login(client, "skola")
    refused = await client.get(photo_url)
    assert refused.status == 403 and refused.content_type != "image/jpeg"
    await login(client, "gata")
    assert (await client.get(photo_url)).status == 200
    async with db() as s:
        events = (await s.execute(select(CaseEvent.kind).where(CaseEvent.case_id == case.id))).scalars().all()
    assert "refused" in events


async def test_retention_deletes_the_photos_and_positions_with_the_cases_personal_data(sessions, profile):
    """On SQLite and PostgreSQL: the old case's photo rows, bytes and position go; a photo still used stays."""
    from datetime import timedelta

    from sqlalchemy import update

    from bot.core.images import process_photo
    from bot.store import desk
    from bot.store import photos as store
    from bot.store.models import Case, utcnow
    from bot.store.retention import anonymise
    from bot.store.staff import add_staff

    old_photo, shared = process_photo(phone_jpeg((320, 240), None)), process_photo(phone_jpeg((200, 100), None))
    refs = {}
    async with sessions() as s, s.begin():
        member = await add_staff(s, "retention-photos", "Handläggare", "h", ["sv"])
        for name, pictures in (("old", [old_photo, shared]), ("new", [shared])):
            conversation, _ = await convs.create_conversation(s, "sv")
            for picture in pictures:
                await store.add_photo(s, conversation.id, picture)
            await store.add_position(s, conversation.id, 59.3, 18.0, 10.0, "device")
            case = await create_case(
                s,
                profile,
                NewCase(kind="fault_report", description=name, language="sv", conversation_id=conversation.id),
            )
            refs[name] = case.id
        old = await s.get(Case, refs["old"])
        await desk.close_case(s, old, member, "Lagat", expected="received")
        closed = utcnow() - timedelta(days=profile.retention_days + 1)
        await s.execute(update(Case).where(Case.id == old.id).values(closed_at=closed))
    async with sessions() as s:
        assert len(await store.photos_of_case(s, refs["old"])) == 2
    async with sessions() as s, s.begin():
        await anonymise(s, profile)
    async with sessions() as s:
        assert await store.photos_of_case(s, refs["old"]) == [] and await store.positions_of_case(s, refs["old"]) == []
        assert await s.get(PhotoBlob, old_photo.sha256) is None  # its bytes are gone from the store
        assert await s.get(PhotoBlob, shared.sha256) is not None  # still used by the newer case
        assert (
            len(await store.photos_of_case(s, refs["new"])) == 1
            and len(await store.positions_of_case(s, refs["new"])) == 1
        )
