"""Retention on SQLite and PostgreSQL: personal data of old closed cases and idle chats goes, statistics stay."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select, update

from bot.core.settings import PROJECT_ROOT
from bot.store import conversations as convs
from bot.store import desk
from bot.store.cases import NewCase, create_case
from bot.store.models import Case, CaseEvent, Conversation, Message, Notification, utcnow
from bot.store.retention import anonymise
from bot.store.staff import add_staff


async def closed_case(sessions, profile, closed_days_ago: int, name: str):
    long_ago = utcnow() - timedelta(days=closed_days_ago + 30)
    async with sessions() as s, s.begin():
        conversation, _ = await convs.create_conversation(s, "sv")
        await convs.add_message(s, conversation.id, "resident", f"Jag heter {name} och bor på Storgatan 5")
        case = await create_case(
            s,
            profile,
            NewCase(
                kind="complaint",
                description=f"{name} klagar",
                language="sv",
                conversation_id=conversation.id,
                area="streets_parks",
                place="Storgatan 5",
                contact_name=name,
                contact_email="a@example.se",
                check_code_hash="hash",
                status="received",
            ),
            now=long_ago,
        )
        member = await add_staff(s, f"u{case.id}x{closed_days_ago}", "Handläggare", "h", ["sv"])
        await desk.add_note(s, case, member, f"Ringde {name}")
        s.add(
            Notification(
                case_id=case.id, kind="receipt", channel="email", recipient="a@example.se", language="sv",
                subject="Kvitto", body="kod K7PQ-4XZ9", status="sent", attempts=1, created_at=long_ago,
            )
        )  # fmt: skip
        await s.flush()
        await desk.close_case(s, case, member, f"Svarat {name}", expected="received")
        await s.execute(
            update(Case).where(Case.id == case.id).values(closed_at=utcnow() - timedelta(days=closed_days_ago))
        )
    return case.reference, conversation.id


async def test_old_closed_cases_and_idle_chats_lose_personal_data_but_keep_statistics(sessions, profile):
    old_ref, old_conversation = await closed_case(sessions, profile, profile.retention_days + 10, "Olle Gammal")
    new_ref, new_conversation = await closed_case(sessions, profile, 10, "Nina Ny")
    async with sessions() as s, s.begin():
        idle, _ = await convs.create_conversation(s, "ar")
        await convs.add_message(s, idle.id, "resident", "اسمي أحمد")
        long_ago = utcnow() - timedelta(days=profile.retention_days + 1)
        await s.execute(update(Message).where(Message.conversation_id == idle.id).values(created_at=long_ago))
        await s.execute(update(Conversation).where(Conversation.id == idle.id).values(updated_at=long_ago))

    async with sessions() as s, s.begin():
        first = await anonymise(s, profile)
    async with sessions() as s, s.begin():
        second = await anonymise(s, profile)
    assert first.cases >= 1 and first.conversations >= 2
    assert second.cases == 0 and second.conversations == 0  # nothing twice

    async with sessions() as s:
        old = await desk.get_case(s, old_ref)
        new = await desk.get_case(s, new_ref)
        old_texts = [m.text for m in await convs.transcript(s, old_conversation)]
        new_texts = [m.text for m in await convs.transcript(s, new_conversation)]
        idle_texts = [m.text for m in await convs.transcript(s, idle.id)]
        notes = list((await s.execute(select(CaseEvent).where(CaseEvent.case_id == old.id))).scalars())
        receipt = (await s.execute(select(Notification).where(Notification.case_id == old.id))).scalar_one()
    assert (old.description, old.place, old.contact_name, old.contact_email, old.check_code_hash, old.resolution) == (
        "", None, None, None, None, None,
    )  # fmt: skip
    assert (old.reference, old.kind, old.area, old.status) == (old_ref, "complaint", "streets_parks", "closed")
    assert old.created_at is not None and old.closed_at is not None and old.anonymised_at is not None
    assert old_texts and all(text == "" for text in old_texts) and idle_texts == [""]
    assert not any("Olle" in str(e.data) for e in notes) and "anonymised" in [e.kind for e in notes]
    assert (receipt.recipient, receipt.body) == ("", "")
    assert new.contact_name == "Nina Ny" and new.anonymised_at is None
    assert any("Nina Ny" in text for text in new_texts)


def test_retention_command(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "KOMMUN_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "retention", "run"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("anonymised 0 closed cases older than 730 days")
