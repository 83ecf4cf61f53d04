"""Administration commands of ``python -m bot``: list cases, manage staff accounts, run retention."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from bot.core.settings import Settings


async def _list_cases(settings: Settings, limit: int) -> list[dict]:
    from bot.store.cases import case_as_dict, list_cases
    from bot.store.conversations import transcript
    from bot.store.db import create_engine, session_factory

    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            rows = []
            for case in await list_cases(session, limit):
                item = case_as_dict(case)
                messages = await transcript(session, case.conversation_id) if case.conversation_id else []
                item["transcript"] = [
                    {"sender": m.sender, "text": m.text, "time": m.created_at.isoformat()} for m in messages
                ]
                rows.append(item)
            return rows
    finally:
        await engine.dispose()


def cases_list(args: argparse.Namespace, settings: Settings) -> int:
    """``cases list``: the newest cases as a table, every field (``--full``) or JSON (``--json``).

    Raises:
        bot.store.migrate.SchemaMissing: no database yet (the message says how to create it).
    """
    from bot.store.migrate import require_schema

    require_schema(settings.database_url)
    rows = asyncio.run(_list_cases(settings, args.limit))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no cases")
        return 0
    if args.full:
        for r in rows:
            print(f"== {r['reference']} ==")
            for key, value in r.items():
                if key not in ("reference", "transcript"):
                    print(f"  {key}: {'' if value is None else value}")
        return 0
    header = ("reference", "kind", "area", "status", "language", "created", "reply due", "description")
    table = [
        (
            r["reference"],
            r["kind"],
            r["area"] or "",
            r["status"],
            r["language"] or "",
            (r["created_at"] or "")[:16].replace("T", " "),
            r["reply_due"] or "",
            " ".join((r["description"] or "").split())[:50],
        )
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in (header, *table)) for i in range(len(header))]
    for row in (header, *table):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    if args.transcripts:
        for r in rows:
            print(f"\n== {r['reference']} ==")
            for m in r["transcript"]:
                print(f"[{m['time'][:19].replace('T', ' ')}] {m['sender']}: {m['text']}")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    """The new password: typed twice at a prompt on a terminal, else the first line of stdin."""
    import getpass

    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _describe(member: object) -> str:
    m: Any = member
    departments = ", ".join(m.departments or []) or "none"
    return f"{m.username} ({m.display_name}; {m.role}; departments {departments}; languages {', '.join(m.languages)})"


async def _staff(settings: Settings, action: str, args: argparse.Namespace, password_hash: str | None) -> list[str]:
    from bot.store import staff
    from bot.store.db import create_engine, session_factory

    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            if action == "add":
                member = await staff.add_staff(
                    session,
                    args.username,
                    args.name,
                    password_hash or "",
                    args.languages,
                    args.role,
                    args.departments or [],
                )
                return [f"added {_describe(member)}"]
            if action == "edit":
                member = await staff.edit_staff(
                    session, args.username, args.name, args.languages, args.role, args.departments
                )
                return [f"changed {_describe(member)}"]
            if action in ("disable", "enable"):
                member = await staff.set_active(session, args.username, action == "enable")
                return [f"{member.username} is now {'active' if member.active else 'disabled (its sessions ended)'}"]
            if action == "password":
                member = await staff.set_password(session, args.username, password_hash or "")
                return [f"new password set for {member.username}; its sessions ended"]
            lines = []
            for m in await staff.list_staff(session):
                state = "active" if m.active else "disabled"
                last = m.last_login_at.isoformat(timespec="minutes") if m.last_login_at else "never"
                lines.append(
                    f"{m.username}\t{m.display_name}\t{m.role}\t{','.join(m.departments or []) or '-'}"
                    f"\t{','.join(m.languages or [])}\t{state}\tlast login {last}"
                )
            return lines or ["no staff accounts"]
    finally:
        await engine.dispose()


def _codes(value: str | None, known: list[str], option: str) -> list[str] | None:
    """The comma-separated codes of ``option`` (``None`` when not given), each one of ``known``.

    Raises:
        ValueError: an unknown code, or none at all for ``--languages``.
    """
    if value is None:
        return None
    codes = [code.strip() for code in value.split(",") if code.strip()]
    unknown = [code for code in codes if code not in known]
    if unknown or (not codes and option == "--languages"):
        raise ValueError(f"{option} takes codes of {', '.join(known)}; not known: {', '.join(unknown) or '(none)'}")
    return codes


def staff(args: argparse.Namespace, settings: Settings) -> int:
    """``staff add|edit|list|disable|enable|password``: staff accounts (1 with a message on a bad argument)."""
    from bot.core.catalog import default_catalogs
    from bot.core.profile import load_profile
    from bot.store.migrate import upgrade
    from bot.store.staff import StaffError, check_username, hash_password

    action = args.staff_command
    try:
        password_hash = None
        if action in ("add", "edit"):
            check_username(args.username)
            args.languages = _codes(args.languages, default_catalogs().languages, "--languages")
            departments = [d.id for d in load_profile(settings.profile_path).departments]
            args.departments = _codes(args.departments, departments, "--departments")
        if action in ("add", "password"):
            password_hash = hash_password(_read_password(args))
        upgrade(settings.database_url)
        for line in asyncio.run(_staff(settings, action, args, password_hash)):
            print(line)
    except (StaffError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def retention_run(args: argparse.Namespace, settings: Settings) -> int:
    """``retention run``: anonymise closed cases and idle chats past the profile's retention period."""
    from bot.core.profile import load_profile
    from bot.store.db import create_engine, session_factory
    from bot.store.migrate import upgrade
    from bot.store.retention import run_once

    upgrade(settings.database_url)
    profile = load_profile(settings.profile_path)

    async def run() -> None:
        engine = create_engine(settings.database_url)
        try:
            result = await run_once(session_factory(engine), profile)
        finally:
            await engine.dispose()
        print(
            f"anonymised {result.cases} closed cases older than {profile.retention_days} days "
            f"and {result.conversations} conversations"
        )

    asyncio.run(run())
    return 0
