"""The pure parts of the load benchmark (tools/bench/): no stack is started here."""

from __future__ import annotations

import math
import random
from datetime import datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.helpers.fakes import fake_gateway
from tools.bench import scenario
from tools.bench.channels import StackChannel
from tools.bench.report import cpu_ms_per_turn, evaluate_targets, render_markdown, render_table
from tools.bench.responses import ResponseMatcher, catalog_buttons
from tools.bench.sampler import process_label
from tools.bench.scenario import form_answer, plan_conversation
from tools.bench.stats import Ledger, RunResult, RunStats, percentile


def test_percentile_interpolates_between_ranks():
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4], 0) == 1 and percentile([1, 2, 3, 4], 100) == 4
    assert percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert percentile([7], 99) == 7
    assert math.isnan(percentile([], 50))


def test_ledger_counts_lost_and_duplicates():
    ledger = Ledger()
    for cid in ("a", "b", "c"):
        ledger.on_send(cid)
    assert ledger.on_ack("a") is False and ledger.on_ack("a") is True  # two acks for one client id
    assert ledger.on_ack("b") is False
    assert ledger.on_ack("zzz") is False and ledger.unknown_acks == 1
    assert ledger.on_message(10) is False and ledger.on_message(10) is True  # the same id twice
    assert ledger.on_message(None) is False
    ledger.on_answer("a")
    ledger.on_answer("c")  # answered but never acked: lost too
    assert ledger.lost() == 2  # b (acked, never answered) and c (no ack)


def test_run_stats_counts_only_turns_inside_the_window():
    stats = RunStats(window_start=10.0, window_end=20.0)
    stats.turn_done(9.9, 100.0)  # warm-up
    for latency in (100.0, 200.0, 300.0, 400.0):
        stats.turn_done(15.0, latency)
    stats.turn_done(20.5, 900.0)  # finished after the window
    stats.step_done("form confirm", 15.0, 400.0)
    stats.step_done("form confirm", 25.0, 900.0)
    stats.error("timeout", "no reply")
    stats.lost = 1
    stats.stray("faq contact", ["utter_greet"], ["Hej!"])
    summary = stats.summary(window_s=10.0)
    assert summary["turns"] == 4 and summary["turns_per_s"] == pytest.approx(0.4)
    assert summary["p50_ms"] == pytest.approx(250.0) and summary["max_ms"] == 400.0
    assert summary["turns_outside_window"] == 2
    assert summary["errors"] == 1 and summary["errors_by_kind"] == {"timeout": 1} and summary["lost"] == 1
    assert summary["off_script_by_step"] == {"faq contact": 1}
    assert summary["steps"] == {"form confirm": {"turns": 1, "p50_ms": 400.0, "p95_ms": 400.0, "max_ms": 400.0}}
    assert "utter_greet" in summary["off_script_samples"][0]


def test_matcher_tells_rendered_catalog_texts_and_bare_names_apart(catalogs, profile):
    matcher = ResponseMatcher(catalogs)
    values = {**catalogs.profile_values(profile, "sv"), "reference": "SYN-2026-00042", "check_code": "K7PQ-4XZ9"}
    values.update(department="Gator och parker", acknowledgement_due="1 december", reply_due="10 december")
    for name in ("utter_ask_complaint_kind", "utter_faq_opening_hours", "utter_case_created", "utter_greet"):
        text = catalogs.response(name, "sv", values, profile)["text"]
        assert matcher.name(text, "sv") == name
    arabic = catalogs.response("utter_ask_complaint_kind", "ar", {}, profile)["text"]
    assert matcher.name(arabic) == "utter_ask_complaint_kind"  # any language when none is given
    assert matcher.name("utter_ask_status_reference") == "utter_ask_status_reference"  # bare Rasa
    unavailable = catalogs.system("assistant_unavailable", "sv", {"phone": "0123-45 67 00"})
    assert matcher.name(unavailable, "sv") == "system:assistant_unavailable"
    assert matcher.name("something else entirely", "sv") == ""


def test_plans_are_reproducible_and_follow_the_mix():
    plans = [plan_conversation(random.Random(7)) for _ in range(2)]
    assert plans[0] == plans[1]
    rng = random.Random(1)
    many = [plan_conversation(rng) for _ in range(2000)]
    share = {code: sum(p.phrases.language == code for p in many) / len(many) for code in scenario.PHRASES}
    assert share["sv"] == pytest.approx(0.7, abs=0.05) and share["ar"] == pytest.approx(0.1, abs=0.03)
    assert sum(p.handoff for p in many) / len(many) == pytest.approx(scenario.HANDOFF_SHARE, abs=0.03)
    assert all(1 <= len(p.faqs) <= 3 for p in many)


def test_form_answers_follow_the_buttons_the_bot_sends(catalogs, profile):
    plan = plan_conversation(random.Random(3))
    kind = catalogs.response("utter_ask_complaint_kind", "sv", {}, profile)["buttons"]
    text, display = form_answer("utter_ask_complaint_kind", plan, kind)
    assert text == kind[plan.kind_index]["payload"] and display == kind[plan.kind_index]["title"]
    areas = catalogs.area_buttons(profile, "sv")
    assert form_answer("utter_ask_complaint_area", plan, areas)[0] in {b["payload"] for b in areas}
    assert form_answer("utter_ask_complaint_area", plan, []) is None  # no buttons: stuck
    consent = catalogs.response("utter_ask_complaint_consent", "sv", {"privacy_url": "x"}, profile)["buttons"]
    assert form_answer("utter_ask_complaint_consent", plan, consent) == ("/affirm", "Ja, det är okej")
    assert form_answer("utter_ask_complaint_description", plan, []) == (plan.description, None)
    assert form_answer("utter_something_else", plan, []) is None
    bare = catalog_buttons(catalogs, profile, "utter_ask_complaint_area", "en")
    assert [b["payload"] for b in bare] == [b["payload"] for b in areas]


def test_process_labels():
    ports = {5005: "Rasa server 1", 5006: "Rasa server 2"}
    assert process_label(["/v/python", "-m", "bot", "run"], ports) == "supervisor"
    assert process_label(["/v/python", "-m", "bot", "serve"], ports) == "web app"
    assert process_label(["/v/python", "-m", "rasa", "run", "--model", "m", "--port", "5006"], ports) == "Rasa server 2"
    assert process_label(["/v/python", "-m", "rasa_sdk", "--actions", "actions"], ports) == "action server"
    assert process_label(["/v/python", "-m", "bot.rasa_server", "run", "--port", "5005"], ports) == "Rasa server 1"
    assert process_label(["/v/python", "-m", "bot.action_server", "--port", "5055"], ports) == "action server"
    spawn = ["/v/python", "-c", "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5)"]
    assert process_label(spawn, ports) == "worker"


def _result(label: str, turns_per_s: float, p95: float, lost: int = 0, peak: int = 900_000_000) -> RunResult:
    memory = {
        "processes": [
            {"name": "web app", "pid": 11, "peak": peak, "first": 1, "window_first": peak, "last": peak,
             "cpu_s": 5.0, "cpu_pct": 50.0},
        ],
        "total_peak": peak,
        "total_window_first": peak,
        "total_window_last": peak,
        "total_last": peak,
    }  # fmt: skip
    summary = {"turns_per_s": turns_per_s, "turns": 100, "p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95 * 1.2,
               "errors": 0, "lost": lost, "duplicated": 0}  # fmt: skip
    return RunResult(label, 20, 60.0, None, 12.5, 1, summary, memory)


def test_targets_and_reports():
    results = [_result("embedded", 10.0, 420.0), _result("bare rasa", 4.0, 300.0)]
    targets = {t.name: t for t in evaluate_targets(results, soak=False)}
    assert targets["embedded: ≥ 1.0× bare throughput"].met is True
    assert targets["embedded: ≥ 1.0× bare throughput"].value == "2.50×"
    assert targets["embedded: CPU per turn ≤ 90 ms"].met is True  # 5 s of CPU for 100 turns
    assert targets["embedded: all processes ≤ 1.2 GB"].met is True
    assert targets["embedded: start to ready ≤ 15 s"].met is True
    assert cpu_ms_per_turn(results[0]) == pytest.approx(50.0)
    slow = evaluate_targets([_result("embedded", 3.0, 800.0, lost=2, peak=2_000_000_000), results[1]], soak=False)
    assert [t.met for t in slow] == [False, False, True, False, True]
    production = evaluate_targets([_result("production", 5.0, 400.0), results[1]], soak=False)
    assert production[0].name == "production: ≥ 1.3× bare throughput" and production[0].met is False

    table = render_table(results, list(targets.values()))
    assert "== embedded ==" in table and "ratio embedded ÷ bare rasa: 2.50×" in table and "[yes]" in table
    markdown = render_markdown(
        results,
        list(targets.values()),
        {"cpu_model": "Test CPU", "cpus": 2, "ram_bytes": 8 * 2**30, "load_average": [0.5, 0.4, 0.3],
         "python": "3.10.13", "rasa": "3.6.21"},
        "python -m bot bench --users 20",
        datetime(2026, 11, 22, 12, 0),
    )  # fmt: skip
    assert markdown.startswith("## Load benchmark 2026-11-22 12:00")
    assert "Test CPU, 2 CPUs, 8.0 GiB RAM" in markdown and "`python -m bot bench --users 20`" in markdown
    assert "| embedded | 20 | 10.00 | 210 | 420 | 504 | 0 | 0 | 0 | 12.5 | 900 |" in markdown
    assert "| web app | 11 | 900 | 900 | 900 | 50 |" in markdown


def test_soak_targets_want_flat_memory():
    soak = _result("embedded", 3.0, 200.0)
    soak.memory["total_window_first"], soak.memory["total_window_last"] = 1_000_000_000, 1_100_000_000
    targets = {t.name: t for t in evaluate_targets([soak], soak=True)}
    assert targets["embedded: memory flat (≤ 5% growth)"].met is False
    assert targets["embedded: p95 ≤ 300 ms"].met is True
    assert targets["embedded: 0 errors"].met is True and targets["embedded: 0 lost messages"].met is True


async def test_stack_channel_turns_lost_messages_and_duplicates(catalogs):
    app = web.Application()
    app.router.add_get("/ws/chat", fake_gateway)
    stats = RunStats()
    async with TestServer(app) as server:
        import aiohttp

        async with aiohttp.ClientSession() as http:
            channel = StackChannel(http, str(server.make_url("/ws/chat")), "r1", stats, ResponseMatcher(catalogs), 1.0)
            assert await channel.open(plan_conversation(random.Random(1)))
            reply = await channel.say("jag vill lämna ett klagomål")
            assert [m["text"] for m in reply.messages] == ["Vad vill du lämna?", "second message"]
            assert reply.names[0] == "utter_ask_complaint_kind"
            assert await channel.say("twice") is not None
            assert await channel.say("silence") is None  # no reply within the turn timeout
            await channel.close()
    assert len(stats.latencies_ms) == 2 and all(40 <= ms < 1000 for ms in stats.latencies_ms)
    assert stats.duplicated == 1 and stats.errors["duplicate message"] == 1
    assert stats.errors["timeout"] == 1 and stats.lost == 1


def test_the_runtime_does_not_import_the_benchmarks_at_start():
    """tools/ is not shipped in the wheel: bot/ and actions/ import it only inside the bench commands."""
    import ast

    import tomli  # pytest needs it on Python 3.10 (tomllib arrives with 3.11)

    from bot.core.settings import PROJECT_ROOT

    shipped = tomli.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert not any(pattern.startswith("tools") for pattern in shipped["include"])
    for path in [*(PROJECT_ROOT / "bot").rglob("*.py"), *(PROJECT_ROOT / "actions").rglob("*.py")]:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # module level only
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n == "tools" or n.startswith("tools.") for n in names), f"{path} imports {names}"


def test_every_runtime_name_the_benchmarks_import_exists():
    """The benchmarks import parts of bot/ (and tests/helpers) inside functions too: a module that moved fails here."""
    import ast
    import importlib
    import importlib.util

    from bot.core.settings import PROJECT_ROOT

    for path in (PROJECT_ROOT / "tools").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("bot", "tests", "tools"):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    assert hasattr(module, alias.name) or importlib.util.find_spec(f"{node.module}.{alias.name}"), (
                        f"{path.name}: from {node.module} import {alias.name}"
                    )


async def test_bench_nlg_renders_the_same_inside_rasa_and_through_the_callback():
    from bot.core.settings import PROJECT_ROOT
    from tools.bench.nlg import measure

    rows = await measure(PROJECT_ROOT, repeat=1)
    assert [(row["turns"], row["events"]) for row in rows] == [(20, 181), (180, 1621)]  # 9 events a turn
    assert all(row["same_output"] for row in rows)
    assert rows[1]["body_bytes"] > 8 * rows[0]["body_bytes"] > 8 * 60_000  # the whole tracker in every request


def test_growth_ratio_compares_the_median_of_the_last_20_turns_with_the_first_20():
    from tools.bench.growth import GrowthRun

    run = GrowthRun("embedded", latencies_ms=[80.0] * 19 + [500.0] + [90.0] * 160 + [100.0] * 20)
    assert run.block_median(1) == 80.0  # the median is not moved by one slow turn
    assert run.block_median(181) == 100.0
    assert run.ratio() == pytest.approx(1.25)
    rows = run.blocks()
    assert len(rows) == 10 and rows[0][:2] == (1, 20) and rows[-1][:2] == (181, 200)
    failed = GrowthRun("bare rasa", latencies_ms=[math.nan] * 5 + [50.0] * 35)
    assert failed.block_median(1) == 50.0  # failed turns are left out
    assert math.isnan(GrowthRun("short", latencies_ms=[1.0] * 30).ratio())


def test_tracker_events_are_counted_from_the_latest_session_start():
    from tools.bench.growth import count_events

    events = [{"event": "action"}, {"event": "session_started"}, {"event": "user"}, {"event": "bot"}]
    events += [{"event": "session_started"}, {"event": "slot"}, {"event": "action"}]
    assert count_events(events) == (3, 7)
    assert count_events([{"event": "user"}]) == (1, 1)


def test_a_block_reports_its_largest_session_read_and_the_events_at_its_end():
    from tools.bench.growth import GrowthRun, read_tracker_after

    run = GrowthRun("embedded", latencies_ms=[80.0] * 40, events={19: (180, 180), 20: (6, 186), 40: (170, 360)})
    assert run.block_events(1, 20) == (180, 186)  # the session just before the gateway started a new one
    assert run.block_events(21, 40) == (170, 360)
    assert GrowthRun("x").block_events(1, 20) is None
    read = [turn for turn in range(1, 201) if read_tracker_after(turn, 200)]
    assert read[:20] == list(range(1, 21)) and read[-20:] == list(range(181, 201))
    assert 40 in read and 39 not in read and len(read) == 48


def test_growth_report_names_the_target_and_every_block():
    from tools.bench.growth import GrowthRun, render_growth, render_growth_markdown

    good = GrowthRun("embedded", latencies_ms=[80.0] * 200, events={20: (90, 190), 200: (95, 1900)})
    bad = GrowthRun("bare rasa", latencies_ms=[80.0] * 180 + [200.0] * 20)
    text = render_growth([good, bad])
    assert "[yes] embedded" in text and "[ NO] bare rasa" in text and "2.50×" in text
    assert "181–200" in text and "95 / 1900" in text
    machine = {"cpu_model": "x", "cpus": 2, "load_average": [1.0, 1.0, 1.0], "python": "3.10", "rasa": "3.6.21"}
    markdown = render_growth_markdown([good, bad], machine, "python -m bot bench --growth", datetime(2026, 1, 2, 3, 4))
    assert markdown.startswith("## Long conversation (--growth) 2026-01-02 03:04")
    assert "| embedded | 200 | 80 | 80 | 1.00 | 90 / 190 | 95 / 1900 | 0 | 0 |" in markdown
    assert "| bare rasa | 200 | 80 | 200 | 2.50 |" in markdown


async def test_growth_turns_are_spaced_counted_and_stop_at_the_limit(monkeypatch):
    import time

    from tools.bench import growth
    from tools.bench.channels import Reply
    from tools.bench.growth import GrowthRun, Turns

    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(growth, "asyncio", type("A", (), {"sleep": staticmethod(sleep)}))

    class Echo:
        bare, language = True, "sv"

        async def say(self, text, display=None):
            return Reply([{"text": text}], ["utter_hello"], time.perf_counter(), 5.0)

    seen: list[int] = []

    async def after(turn: int) -> None:
        seen.append(turn)

    run = GrowthRun("echo")
    turns = Turns(Echo(), run, limit=3, spacing_s=60.0, after_turn=after)
    assert await turns("greeting", "hej", {"utter_hello"}) is not None
    assert await turns("faq", "när har ni öppet?", {"utter_faq_opening_hours"}) is None  # off script, fatal
    assert await turns("small talk", "tack", {"utter_you_are_welcome"}, fatal=False) is not None
    assert turns.done and await turns("more", "hej", None) is None
    assert waits[0] == 0.0 and all(59.0 < w <= 60.0 for w in waits[1:]) and len(waits) == 3  # 60 s apart
    assert run.latencies_ms == [5.0, 5.0, 5.0] and seen == [1, 2, 3]
    assert run.off_script == {"faq": 1, "small talk": 1}
