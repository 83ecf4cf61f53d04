"""The resident chat widget in a real browser (Playwright for Python driving Debian's Chromium).

Runs against the whole stack (conftest ``stack``: supervisor, Rasa, action server, web app). Covers a
full conversation, the language switch in the middle of the complaint form, right-to-left Arabic,
reload, a web app restart with a message typed while offline, keyboard-only use, an axe-core audit
(npm package, loaded into the page) of the Swedish and the Arabic view, and the widget embedded in a
plain page of another origin under a strict Content-Security-Policy. Screenshots (LTR and RTL,
desktop and 360 px) go to ``test-artifacts/``.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.core.catalog import Catalogs
from bot.core.settings import PROJECT_ROOT
from tests.helpers.browser import ARTIFACTS, chromium
from tests.helpers.ready import wait_ready
from tests.stack.test_stack import READY_TIMEOUT

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
CATALOGS = Catalogs()
SV, EN, AR = CATALOGS.get("sv"), CATALOGS.get("en"), CATALOGS.get("ar")
BOT_TIMEOUT = 60_000
PHONE = (360, 740)
STORED_TOKEN = "Object.keys(localStorage).filter(k => k.endsWith(':token')).map(k => localStorage[k])[0]"
DESKTOP = (1280, 900)


@pytest.fixture
async def browser(stack):
    async with chromium(stack["url"], READY_TIMEOUT) as launched:
        yield launched


async def new_page(browser, width: int = DESKTOP[0], height: int = DESKTOP[1], locale: str = "sv-SE"):
    """A fresh browser profile (empty localStorage); console errors and CSP violations are collected."""
    context = await browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = await context.new_page()
    page.problems, page.axe_loaded = [], False

    def console(message) -> None:
        # axe's own probes add inline styles, which the page's CSP rightly refuses: not the widget's doing
        if message.type == "error" and not (page.axe_loaded and "inline style" in message.text):
            page.problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    return page


async def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page, shadow roots included (WCAG 2.1 A/AA and best practices)."""
    page.axe_loaded = True
    await page.evaluate(AXE.read_text(encoding="utf-8"))  # evaluated by the browser, not bound by the page's CSP
    violations = await page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                 nodes: v.nodes.map(n => n.target.join(" > "))}));
        }"""
    )
    return violations


async def bot_count(page) -> int:
    return await page.locator("#log li.bot").count()


async def say(page, text: str) -> None:
    """Type a message and send it with Enter; wait until the bot has answered it."""
    from playwright.async_api import expect

    before = await bot_count(page)
    await page.fill("#input", text)
    await page.press("#input", "Enter")
    # one answer or more (a handoff with nobody available says so and asks how to reach the resident)
    await expect(page.locator("#log li.bot").nth(before)).to_be_attached(timeout=BOT_TIMEOUT)


async def last_bot(page) -> str:
    return await page.locator("#log li.bot .text").last.inner_text()


async def accept_privacy(page) -> None:
    from playwright.async_api import expect

    await expect(page.locator("#privacy")).to_be_visible()
    await page.click("#privacy-ok")
    await expect(page.locator("#privacy")).to_be_hidden()


async def open_swedish_chat(browser, stack):
    """A new resident on the Swedish page who has accepted the privacy notice and got the greeting."""
    from playwright.async_api import expect

    page = await new_page(browser)
    await page.goto(f"{stack['url']}/?lang=sv")
    await accept_privacy(page)
    await expect(page.locator("#log li.bot").first).to_be_visible(timeout=BOT_TIMEOUT)
    return page


async def test_full_conversation_in_swedish_passes_the_accessibility_audit(browser, stack):
    from playwright.async_api import expect

    page = await new_page(browser)
    await page.goto(f"{stack['url']}/?lang=sv")
    await expect(page.locator("#heading")).to_have_text("Fråga Exempelby kommun")
    await expect(page.locator("#privacy-text")).to_contain_text("sparas hos Exempelby kommun")
    await expect(page.locator("#privacy-link")).to_have_attribute(
        "href", "https://www.exempelby.example/personuppgifter"
    )
    await expect(page.locator("#log li.bot").first).to_contain_text("Vilket språk", timeout=BOT_TIMEOUT)
    await expect(page.locator("#log li.bot .who").first).to_have_text("Assistenten")
    await expect(page.locator("#log li.bot time").first).to_have_text(re.compile(r"^\d{2}[:.]\d{2}$"))
    violations = await axe_violations(page)
    assert violations == [], violations
    await accept_privacy(page)
    await say(page, "när har ni öppet?")
    assert "Torsdag: 08.00–18.00" in await last_bot(page)
    mine = page.locator("#log li.resident").last
    await expect(mine).to_contain_text("när har ni öppet?")
    await expect(mine.locator(".who")).to_have_text("Du")
    await expect(mine).not_to_have_class(re.compile("pending"))
    await page.locator("#log li.bot .buttons button", has_text="Svenska").first.click()
    await expect(page.locator("#log li.bot").last).to_contain_text("Nu skriver jag på svenska", timeout=BOT_TIMEOUT)
    await say(page, "hur kontaktar jag kommunen")
    assert "0123-45 67 00" in await last_bot(page)
    violations = await axe_violations(page)
    assert violations == [], violations
    await expect(page.locator("#log-region")).to_have_attribute("role", "log")  # announced politely
    await page.screenshot(path=str(ARTIFACTS / "widget-sv-desktop.png"), full_page=True)
    await page.set_viewport_size({"width": 640, "height": 450})  # 1280 × 900 at 200 % zoom
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await expect(page.locator("#send")).to_be_in_viewport()
    await page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await page.screenshot(path=str(ARTIFACTS / "widget-sv-360px.png"))
    dots = page.locator(".dots span").first
    assert await dots.evaluate("d => getComputedStyle(d).animationName") == "blink"
    await page.emulate_media(reduced_motion="reduce")
    assert await dots.evaluate("d => getComputedStyle(d).animationName") == "none"
    assert page.problems == []


async def test_arabic_is_right_to_left_with_readable_reference_numbers(browser, stack):
    from playwright.async_api import expect

    page = await new_page(browser, locale="ar")
    await page.goto(f"{stack['url']}/?lang=ar")
    assert await page.evaluate("document.documentElement.dir") == "rtl"
    await expect(page.locator(".kc")).to_have_attribute("dir", "rtl")
    await expect(page.locator("#send")).to_have_text(AR.ui["send"])
    await expect(page.locator("#log li.bot").first).to_have_attribute("dir", "rtl", timeout=BOT_TIMEOUT)
    await accept_privacy(page)
    send, box = await page.locator("#send").bounding_box(), await page.locator("#input").bounding_box()
    assert send["x"] < box["x"], "the send button sits on the left in a right-to-left layout"
    await say(page, "مرحبا، متى تفتح البلدية أبوابها؟")
    answer = page.locator("#log li.bot").last
    await expect(answer).to_have_attribute("lang", "ar")
    await expect(answer).to_have_attribute("dir", "rtl")
    await say(page, "أريد التحدث مع موظف")
    with_reference = page.locator("#log li.bot .text", has_text=re.compile(r"SYN-\d{4}-\d{5}")).last
    await expect(with_reference).to_be_visible(timeout=BOT_TIMEOUT)
    handoff = await with_reference.inner_text()
    assert re.search("\u2068SYN-\\d{4}-\\d{5}\u2069", handoff), "the Swedish reference is isolated inside Arabic"
    violations = await axe_violations(page)
    assert violations == [], violations
    await page.screenshot(path=str(ARTIFACTS / "widget-ar-desktop.png"), full_page=True)
    await page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await page.screenshot(path=str(ARTIFACTS / "widget-ar-360px.png"))
    assert page.problems == []


async def test_language_switch_in_the_middle_of_the_form_keeps_the_conversation(browser, stack):
    from playwright.async_api import expect

    page = await open_swedish_chat(browser, stack)
    await page.evaluate("window.notReloaded = true")
    await say(page, "jag vill lämna en synpunkt")  # names no kind: the form asks it
    assert await last_bot(page) == "Vad vill du lämna?"
    before = await bot_count(page)
    await page.locator("#log li.bot").last.locator("button", has_text="Felanmälan").click()
    # one answer or more (a handoff with nobody available says so and asks how to reach the resident)
    await expect(page.locator("#log li.bot").nth(before)).to_be_attached(timeout=BOT_TIMEOUT)
    assert (await last_bot(page)).startswith(SV.responses["utter_ask_complaint_area"]["text"].split("{")[0][:20])
    before = await bot_count(page)
    await page.select_option("#language", "en")
    await expect(page.locator("#send")).to_have_text("Send")
    await expect(page.locator("#heading")).to_have_text("Ask Exempelby kommun")
    # one answer or more (a handoff with nobody available says so and asks how to reach the resident)
    await expect(page.locator("#log li.bot").nth(before)).to_be_attached(timeout=BOT_TIMEOUT)
    area = page.locator("#log li.bot").last
    assert (await area.locator(".text").inner_text()).startswith(
        EN.responses["utter_ask_complaint_area"]["text"].split("{")[0][:20]
    )
    await expect(area).to_have_attribute("lang", "en")
    await expect(area.locator("button").first).to_have_text("Streets and parks")
    await expect(page.locator("#log li.resident", has_text="English")).to_have_count(1)
    await expect(page.locator("#log li.resident", has_text="jag vill lämna en synpunkt")).to_have_count(1)
    before = await bot_count(page)
    await area.locator("button").first.click()
    # one answer or more (a handoff with nobody available says so and asks how to reach the resident)
    await expect(page.locator("#log li.bot").nth(before)).to_be_attached(timeout=BOT_TIMEOUT)
    assert await last_bot(page) == EN.responses["utter_ask_complaint_description"]["text"]
    assert await page.evaluate("window.notReloaded === true")
    assert await page.evaluate("document.documentElement.lang") == "en"
    assert page.problems == []


async def test_reload_in_the_middle_of_a_conversation_brings_it_back(browser, stack):
    from playwright.async_api import expect

    page = await open_swedish_chat(browser, stack)
    await say(page, "när har ni öppet?")
    await say(page, "kan jag få tolk?")
    texts = await page.locator("#log li .text").all_inner_texts()
    await page.reload()
    await expect(page.locator("#log li")).to_have_count(len(texts), timeout=15_000)
    assert await page.locator("#log li .text").all_inner_texts() == texts
    await expect(page.locator("#privacy")).to_be_hidden()  # shown once, on the first open
    await say(page, "hur når jag er?")
    assert "0123-45 67 00" in await last_bot(page)
    token = await page.evaluate(STORED_TOKEN)
    await page.click("#end")  # "End the chat": a new conversation, nothing of the old one on screen
    await expect(page.locator("#log li")).to_have_count(1, timeout=15_000)
    await expect(page.locator("#log li.bot")).to_contain_text("Vilket språk")
    new_token = await page.evaluate(STORED_TOKEN)
    assert new_token and new_token != token


def web_app_pid(supervisor_pid: int) -> int:
    """The pid of the supervisor's web app child (``python -m bot serve``), from /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == supervisor_pid and b"bot" in args and b"serve" in args:
            return int(entry.name)
    raise LookupError("web app")


async def test_web_app_restart_with_a_message_typed_while_offline_loses_nothing(browser, stack):
    from playwright.async_api import expect

    page = await open_swedish_chat(browser, stack)
    await say(page, "när har ni öppet?")
    pid = web_app_pid(stack["process"].pid)
    os.kill(pid, signal.SIGKILL)
    await expect(page.locator("#status")).to_have_text(SV.ui["offline"], timeout=15_000)
    before = await bot_count(page)
    await page.fill("#input", "hur kontaktar jag kommunen")
    await page.press("#input", "Enter")
    waiting = page.locator("#log li.resident.pending", has_text="hur kontaktar jag kommunen")
    await expect(waiting.locator(".state")).to_have_text(SV.ui["not_sent"])
    await page.screenshot(path=str(ARTIFACTS / "widget-offline.png"))
    try:  # the supervisor starts the web app again
        await wait_ready(stack["url"], 90)
    except TimeoutError:
        pytest.fail("the web app did not come back")
    assert web_app_pid(stack["process"].pid) != pid
    # one answer or more (a handoff with nobody available says so and asks how to reach the resident)
    await expect(page.locator("#log li.bot").nth(before)).to_be_attached(timeout=BOT_TIMEOUT)
    assert "0123-45 67 00" in await last_bot(page)
    await expect(page.locator("#status")).to_have_text("")
    await expect(page.locator("#log li.resident", has_text="hur kontaktar jag kommunen")).to_have_count(1)
    await expect(page.locator("#log li.pending")).to_have_count(0)
    await asyncio.sleep(2)  # nothing arrives twice
    await expect(page.locator("#log li.bot")).to_have_count(before + 1)
    texts = await page.locator("#log li .text").all_inner_texts()
    await page.reload()
    await expect(page.locator("#log li")).to_have_count(len(texts), timeout=15_000)
    assert await page.locator("#log li .text").all_inner_texts() == texts


EMBED_PAGE = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Exempelby kommun – Startsida</title>
<script src="{server}/static/widget.js" defer data-server="{server}" data-language="sv"></script></head>
<body><header><p>Exempelby kommun</p></header>
<main><h1>Välkommen till Exempelby</h1><p>Här finns kommunens tjänster.</p>
<p><a href="#nyheter">Nyheter</a></p></main></body></html>"""


@pytest.fixture
async def embedding_site(stack):
    """A plain web page of another origin (``http://127.0.0.1:<embed_port>``) embedding the widget, strict CSP."""
    server = stack["url"]
    ws_server = server.replace("http://", "ws://")
    csp = (
        f"default-src 'none'; script-src {server}; style-src {server}; connect-src {server} {ws_server}; "
        "img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )

    async def page(request: web.Request) -> web.Response:
        return web.Response(
            text=EMBED_PAGE.format(server=server), content_type="text/html", headers={"Content-Security-Policy": csp}
        )

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", stack["embed_port"])
    await site.start()
    yield f"http://127.0.0.1:{stack['embed_port']}"
    await runner.cleanup()


async def test_embedded_on_another_origin_under_a_strict_csp_by_keyboard_only(browser, stack, embedding_site):
    from playwright.async_api import expect

    page = await new_page(browser)
    await page.goto(embedding_site)
    launcher = page.locator("#launcher")
    await expect(launcher).to_have_text(SV.ui["open_chat"])
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    for _ in range(10):  # keyboard only: Tab from the top of the page to the launcher
        await page.keyboard.press("Tab")
        if await launcher.evaluate("b => b.getRootNode().activeElement === b"):
            break
    else:
        pytest.fail("the launcher cannot be reached with Tab")
    assert await launcher.evaluate("b => getComputedStyle(b).outlineStyle") != "none", "focus is visible"
    await page.keyboard.press("Enter")
    await expect(page.locator("#panel")).to_be_visible()
    focused = "() => document.querySelector('.kommun-chat-host').shadowRoot.activeElement?.id"
    focused_text = "() => document.querySelector('.kommun-chat-host').shadowRoot.activeElement?.textContent"
    assert await page.evaluate(focused) == "privacy-ok"  # the privacy notice first
    await page.keyboard.press("Enter")
    assert await page.evaluate(focused) == "input"
    await expect(page.locator("#log li.bot").first).to_be_visible(timeout=BOT_TIMEOUT)
    before = await bot_count(page)
    await page.keyboard.type("när har ni öppet?")
    await page.keyboard.press("Enter")
    # one answer or more (a handoff with nobody available says so and asks how to reach the resident)
    await expect(page.locator("#log li.bot").nth(before)).to_be_attached(timeout=BOT_TIMEOUT)
    assert "08.00" in await last_bot(page)
    before = await bot_count(page)
    await page.keyboard.type("jag vill lämna en synpunkt")
    await page.keyboard.press("Enter")
    # one answer or more (a handoff with nobody available says so and asks how to reach the resident)
    await expect(page.locator("#log li.bot").nth(before)).to_be_attached(timeout=BOT_TIMEOUT)
    first_kind = SV.responses["utter_ask_complaint_kind"]["buttons"][0]["title"]
    for _ in range(40):  # Tab backwards from the text box to the quick replies of the last answer
        await page.keyboard.press("Shift+Tab")
        if await page.evaluate(focused_text) == first_kind:
            break
    else:
        pytest.fail("the quick replies cannot be reached with Tab")
    before = await bot_count(page)
    await page.keyboard.press("Enter")
    # one answer or more (a handoff with nobody available says so and asks how to reach the resident)
    await expect(page.locator("#log li.bot").nth(before)).to_be_attached(timeout=BOT_TIMEOUT)
    assert await page.evaluate(focused) == "input"  # back to the text box after a quick reply
    await page.screenshot(path=str(ARTIFACTS / "widget-embedded-desktop.png"))
    violations = await axe_violations(page)
    assert violations == [], violations
    await page.keyboard.press("Escape")
    await expect(page.locator("#panel")).to_be_hidden()
    assert await page.evaluate(focused) == "launcher"  # focus goes back to the launcher
    assert page.problems == [], page.problems  # no CSP violation, no script error


async def test_a_phone_set_to_arabic_opens_the_chat_of_a_swedish_site_in_arabic(browser, stack, embedding_site):
    from playwright.async_api import expect

    page = await new_page(browser, locale="ar-SY")
    await page.goto(embedding_site)  # the site says data-language="sv"
    await expect(page.locator("#launcher")).to_have_text(AR.ui["open_chat"])
    await expect(page.locator(".kc")).to_have_attribute("dir", "rtl")
    await page.locator("#launcher").click()
    await page.locator("#privacy-ok").click()
    await expect(page.locator("#log li.bot").first).to_be_visible(timeout=BOT_TIMEOUT)
    assert await page.locator("#log li.bot").first.get_attribute("lang") == "ar"
    assert page.problems == [], page.problems


async def test_a_web_site_not_allowed_gets_no_chat(browser, stack, embedding_site):
    page = await new_page(browser)
    await page.goto(embedding_site.replace("127.0.0.1", "localhost"))  # another origin, not in the profile
    await page.wait_for_timeout(3000)
    assert await page.locator("#launcher").count() == 0 or not await page.locator("#launcher").is_visible()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{stack['url']}/ws/chat", headers={"Origin": "http://localhost:1"}) as response:
            assert response.status == 403
