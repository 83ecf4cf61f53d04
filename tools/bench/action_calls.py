"""Action-server round trips per resident turn: ``python -m tools.bench.action_calls [--full-domain]``.

Counts, exactly, what Rasa posts to the action server for typical turns (issue 18). The cached model
runs behind a bare ``rasa run`` (REST webhook, in-memory tracker store) whose ``action_endpoint`` (the
project's ``endpoints.yml``, only its address changed) is a small counting proxy in this process; the
proxy forwards every call to the real action server (:func:`bot.ops.children.action_server_command`)
and records the action's name, the body's size, the tracker's events and the size of the domain in the
body. Residents type Swedish (the messages of ``tests/dialogue/conversations/sv.yml``,
"sv-school-complaint"), with ``metadata.language`` as the gateway sends it.

Each scenario runs twice: in a fresh conversation (its first message is turn 1) and after 39 other
turns (greetings and frequently asked questions, which call no action), so its first message is turn
40. Which calls a turn makes does not depend on the number of turns; their size does (Rasa posts
``tracker.current_state(EventVerbosity.ALL)``, every event since the last restart, and the whole
domain unless ``enable_selective_domain`` is on; ``--full-domain`` turns it off to compare).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from bot.core.internal_keys import unseal
from bot.core.settings import PROJECT_ROOT, Settings
from tests.helpers.ports import free_port
from tools.bench.sampler import popen, stop_process

ANSWERS = {
    "complaint_kind": "ett klagomål",
    "complaint_area": "skolan, min dotter går i 4an",
    "complaint_description": "min dotter blir retad och knuffad på rasterna sen i höstas och lärarn säger bara att "
    "dom ska prata med barnen men inget händer. jag har mejlat mentorn typ 5 ggr utan svar",
    "complaint_place": "Ekbackeskolan",
    "complaint_date": "har hållit på sen september, senast i fredags",
    "complaint_anonymous": "nej",
    "complaint_name": "Sara Lindqvist",
    "complaint_contact": "sara.lindqvist@example.com",
    "complaint_reply_channel": "mejl",
    "complaint_consent": "ja det är ok",
    "complaint_confirm": "skicka",
}
"""The answer typed at each question of the feedback form (requested slot → text)."""
PADDING = ("hej", "vilka är era öppettider?", "tack", "hur kontaktar jag kommunen")
"""Turns that fill a conversation up to turn 40 (rules answer them with responses only)."""
FAQ = "vilka är era öppettider?"
FAQ_CUSTOM = "hur lång tid tar det innan jag får svar?"
START_COMPLAINT = "ja vill klaga på en grej"
STATUS = ("hur går det med mitt ärende?", "ärendenumret är {reference}", "koden jag fick var {check_code}")
HANDOFF = "jag vill prata med en människa"


@dataclass
class Call:
    """One POST from Rasa to the action server."""

    action: str
    body_bytes: int
    domain_bytes: int
    events: int


@dataclass
class Turn:
    """One resident message and the action-server calls it caused."""

    label: str
    calls: list[Call] = field(default_factory=list)


class CountingProxy:
    """An ``action_endpoint`` that records every call and forwards it to the real action server."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.calls: list[Call] = []
        self.http: aiohttp.ClientSession | None = None

    async def webhook(self, request: web.Request) -> web.Response:
        """Record the call, forward it with its ``Authorization`` header, return the action server's answer."""
        raw = await request.read()
        body = json.loads(raw)
        domain = body.get("domain")
        self.calls.append(
            Call(
                action=body["next_action"],
                body_bytes=len(raw),
                domain_bytes=len(json.dumps(domain).encode()) if domain is not None else 0,
                events=len(body["tracker"]["events"]),
            )
        )
        assert self.http is not None
        headers = {"Authorization": request.headers.get("Authorization", ""), "Content-Type": "application/json"}
        async with self.http.post(f"{self.target}/webhook", data=raw, headers=headers) as reply:
            return web.Response(body=await reply.read(), status=reply.status, content_type="application/json")

    def app(self) -> web.Application:
        """The proxy's aiohttp application."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/webhook", self.webhook)
        return app


class Resident:
    """One conversation over the REST webhook; each :meth:`say` is a turn with the calls it caused."""

    def __init__(self, http: aiohttp.ClientSession, webhook: str, proxy: CountingProxy, sender: str) -> None:
        self.http, self.webhook, self.proxy, self.sender = http, webhook, proxy, sender
        self.turns: list[Turn] = []
        self.replies: list[dict[str, Any]] = []

    async def say(self, text: str, label: str | None = None) -> Turn:
        """Send ``text``; the turn (its label and calls)."""
        first = len(self.proxy.calls)
        body = {"sender": self.sender, "message": text, "metadata": {"language": "sv"}}
        async with self.http.post(self.webhook, json=body, timeout=aiohttp.ClientTimeout(total=120)) as reply:
            reply.raise_for_status()
            self.replies = await reply.json()
        turn = Turn(label or text, self.proxy.calls[first:])
        self.turns.append(turn)
        return turn

    def asked(self) -> str | None:
        """The form question asked last (``action_ask_<slot>`` of the latest turn), if any."""
        asks = [c.action for c in self.turns[-1].calls if c.action.startswith("action_ask_")]
        return asks[-1].removeprefix("action_ask_") if asks else None

    def revealed(self, secret: str) -> str | None:
        """The check code the action sealed for the gateway in the latest reply."""
        for message in self.replies:
            sealed = ((message.get("custom") or {}).get("gateway") or {}).get("reveal", {}).get("sealed")
            if sealed:
                return unseal(secret, sealed)
        return None


async def complaint(resident: Resident, faq_at: str = "complaint_anonymous") -> None:
    """The feedback form typed from start to sending; a frequently asked question before ``faq_at``'s answer."""
    await resident.say(START_COMPLAINT, "start: “ja vill klaga på en grej”")
    for _ in range(len(ANSWERS) + 2):
        slot = resident.asked()
        if slot is None:
            return
        if slot == faq_at:
            await resident.say(FAQ, "FAQ in the middle of the form")
            faq_at = ""
        await resident.say(ANSWERS[slot], slot.removeprefix("complaint_"))


async def scenario(resident: Resident, secret: str, database: Path) -> None:
    """Every typical turn: two FAQs, the form with an FAQ inside, a status lookup and a handoff."""
    await resident.say(FAQ, "FAQ (response)")
    await resident.say(FAQ_CUSTOM, "FAQ (response time, custom action)")
    await complaint(resident)
    code = resident.revealed(secret)
    with sqlite3.connect(database) as db:
        (reference,) = db.execute('SELECT reference FROM "case" ORDER BY id DESC LIMIT 1').fetchone()
    await resident.say(STATUS[0], "status: start")
    await resident.say(STATUS[1].format(reference=reference), "status: reference")
    await resident.say(STATUS[2].format(check_code=code), "status: check code")
    await resident.say(HANDOFF, "handoff")


async def measure(model: Path, full_domain: bool) -> tuple[list[Turn], list[Turn]]:
    """Run the scenario fresh and at turn 40; the turns of each run."""
    from bot.ops.children import action_server_command, rasa_command
    from bot.store.migrate import upgrade

    work = Path(tempfile.mkdtemp(prefix="action-calls-"))
    action_port, proxy_port, rasa_port = free_port(), free_port(), free_port()
    secret = secrets.token_urlsafe(24)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(KOMMUN_DATA_DIR=str(work), KOMMUN_ACTION_TOKEN=secret, SANIC_HOST="127.0.0.1",
               ACTION_SERVER_SANIC_WORKERS="1", RASA_TELEMETRY_ENABLED="false", PYTHONUNBUFFERED="1")  # fmt: skip
    await asyncio.to_thread(upgrade, f"sqlite+aiosqlite:///{work / 'kommun.db'}")
    (work / "credentials.yml").write_text("rest:\n", encoding="utf-8")
    endpoint = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8"))["action_endpoint"]
    endpoint.update(url=f"http://127.0.0.1:{proxy_port}/webhook", headers={"Authorization": f"Bearer {secret}"})
    if full_domain:
        endpoint["enable_selective_domain"] = False
    (work / "endpoints.yml").write_text(yaml.safe_dump({"action_endpoint": endpoint}), encoding="utf-8")
    proxy = CountingProxy(f"http://127.0.0.1:{action_port}")
    actions = popen(action_server_command(action_port), env, PROJECT_ROOT, work / "actions.log")
    rasa = popen(rasa_command(model, rasa_port, work / "endpoints.yml", work / "credentials.yml"), env,
                 PROJECT_ROOT, work / "rasa.log")  # fmt: skip
    runner = web.AppRunner(proxy.app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", proxy_port).start()
    webhook = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
    try:
        async with aiohttp.ClientSession() as http:
            proxy.http = http
            await _wait_ready(http, webhook, rasa, actions)
            proxy.calls.clear()
            fresh = Resident(http, webhook, proxy, "fresh")
            await scenario(fresh, secret, work / "kommun.db")
            padded = Resident(http, webhook, proxy, "padded")
            for index in range(39):
                await padded.say(PADDING[index % len(PADDING)])
            await scenario(padded, secret, work / "kommun.db")
            return fresh.turns, padded.turns[39:]
    finally:
        await runner.cleanup()
        for process in (rasa, actions):
            await stop_process(process, signal.SIGTERM, 15.0)


async def _wait_ready(http: aiohttp.ClientSession, webhook: str, *processes: Any) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("rasa or the action server exited (see their logs in the work directory)")
        try:
            body = {"sender": "ready", "message": "hej", "metadata": {"language": "sv"}}
            async with http.post(webhook, json=body, timeout=aiohttp.ClientTimeout(total=30)) as reply:
                if reply.status == 200:
                    return
        except (aiohttp.ClientError, asyncio.TimeoutError):
            pass
        await asyncio.sleep(1.0)
    raise TimeoutError("rasa was not ready within 300 s")


def _names(calls: list[Call]) -> str:
    return ", ".join(c.action for c in calls) or "—"


def _sizes(calls: list[Call]) -> str:
    return " / ".join(f"{c.body_bytes / 1024:.0f}" for c in calls) or "—"


def table(fresh: list[Turn], padded: list[Turn]) -> str:
    """A Markdown table: turn, calls and their actions, KiB posted per call fresh and at turn ≥ 40."""
    lines = [
        "| turn | calls | actions called | KiB per call, fresh | KiB per call, from turn 40 |",
        "|---|---:|---|---|---|",
    ]
    for one, late in zip(fresh, padded, strict=False):
        row = [one.label, str(len(one.calls)), _names(one.calls), _sizes(one.calls), _sizes(late.calls)]
        lines.append(f"| {' | '.join(row)} |")
    calls = [c for turn in fresh for c in turn.calls]
    late_calls = [c for turn in padded for c in turn.calls]
    total = sum(c.body_bytes for c in calls)
    late_total = sum(c.body_bytes for c in late_calls)
    domain = max((c.domain_bytes for c in calls), default=0)
    with_domain = sum(1 for c in calls if c.domain_bytes)
    all_turns = [f"**all {len(fresh)} turns**", f"**{len(calls)}**", ""]
    lines.append(f"| {' | '.join(all_turns)} | {total / 1024:.0f} KiB in all | {late_total / 1024:.0f} KiB in all |")
    lines.append("")
    last, late_last = calls[-1].events if calls else 0, late_calls[-1].events if late_calls else 0
    lines.append(
        f"The domain ({domain / 1024:.0f} KiB) is in {with_domain} of the {len(calls)} bodies. "
        f"Tracker events in the last call: {last} fresh, {late_last} from turn 40."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Print the table (and write it to ``--markdown``)."""
    from bot.ops.training import cached_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full-domain", action="store_true", help="post the domain with every call (Rasa's default)")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    model = cached_model(PROJECT_ROOT, settings.model_cache_dir)
    if model is None:
        raise SystemExit("no trained model for the current inputs: run `make train` first")
    fresh, padded = asyncio.run(measure(model, args.full_domain))
    text = table(fresh, padded)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
