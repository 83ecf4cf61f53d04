"""A fault report with a photo and a position, in a real browser on a 360 px phone (issue 20).

The resident attaches a photo taken by a "phone" (EXIF with GPS and device), shares the position
(Chromium's geolocation override, granted only for this page) and files the fault report by typing;
the case officer sees the photo and the position on the case page; the stored image has no EXIF.
"""

from __future__ import annotations

import io
import re

from PIL import Image

from tests.helpers.browser import ARTIFACTS, add_staff, chromium, staff_login
from tests.helpers.images import phone_jpeg
from tests.stack.test_stack import READY_TIMEOUT
from tests.stack.test_widget import BOT_TIMEOUT, PHONE, SV, accept_privacy, axe_violations, last_bot

HERE = {"latitude": 59.3293, "longitude": 18.0686, "accuracy": 15}
DESCRIPTION = "Gatlampan vid busshållplatsen är trasig och blinkar hela natten."


async def say(page, text: str) -> None:
    """Type a message and send it with Enter; wait until the bot has answered it (one or more messages)."""
    from playwright.async_api import expect

    before = await page.locator("#log li.bot").count()
    await page.fill("#input", text)
    await page.press("#input", "Enter")
    await expect(page.locator("#log li.bot")).not_to_have_count(before, timeout=BOT_TIMEOUT)
    await expect(page.locator("#typing")).to_be_hidden(timeout=BOT_TIMEOUT)


async def test_a_resident_sends_a_photo_and_position_with_a_fault_report_and_staff_see_both(stack):
    from playwright.async_api import expect

    add_staff(stack["env"], "pia", "Pia Lind", "sv", "--role", "supervisor")  # sees every case (issue 17 roles)
    async with chromium(stack["url"], READY_TIMEOUT) as browser:
        phone = await browser.new_context(
            viewport={"width": PHONE[0], "height": PHONE[1]}, locale="sv-SE", geolocation=HERE
        )
        page = await phone.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        await page.goto(f"{stack['url']}/?lang=sv")
        await accept_privacy(page)
        await expect(page.locator("#log li.bot").first).to_be_visible(timeout=60_000)
        await expect(page.locator("#add-photo")).to_have_text(SV.ui["add_photo"])
        await say(page, "jag vill göra en felanmälan")
        if "Vad vill du lämna?" in await last_bot(page):
            await page.locator("#log li.bot").last.locator("button", has_text="Felanmälan").click()
        area = page.locator("#log li.bot .buttons button", has_text="Gator och parker").last
        await expect(area).to_be_visible(timeout=BOT_TIMEOUT)
        before = await page.locator("#log li.bot").count()
        await area.click()
        await expect(page.locator("#log li.bot")).not_to_have_count(before, timeout=BOT_TIMEOUT)
        await expect(page.locator("#log li.bot").last).to_contain_text("Berätta", timeout=BOT_TIMEOUT)

        await page.set_input_files(
            "#photo-input", files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": phone_jpeg()}]
        )
        await expect(page.locator(".tray-item img")).to_be_visible()
        await expect(page.locator(".tray-item .remove-photo")).to_have_text(SV.ui["remove_photo"])
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await page.screenshot(path=str(ARTIFACTS / "photo-tray-360px.png"))
        violations = await axe_violations(page)  # the picker, tray and position button are accessible
        assert violations == [], violations
        await phone.grant_permissions(["geolocation"])  # the resident allows it when the browser asks
        await page.click("#share-position")
        shared = page.locator("#log li.resident", has_text=SV.ui["position_shared"])
        await expect(shared).to_contain_text("\u00b115 m", timeout=15_000)

        await say(page, DESCRIPTION)  # the photo is sent first, then the description
        await expect(page.locator("#log li.resident[data-photo] img")).to_have_count(1)
        await expect(page.locator(".tray-item")).to_have_count(0)
        for answer in ("Storgatan 5", "igår", "ja"):  # place, date, anonymous
            await say(page, answer)
        for _ in range(3):  # consent, summary: yes until the case number comes
            if "SYN-" in await last_bot(page):
                break
            await say(page, "ja")
        done = await last_bot(page)
        reference = re.search(r"SYN-\d{4}-\d{5}", done).group(0)
        await page.screenshot(path=str(ARTIFACTS / "photo-fault-report-360px.png"))
        assert problems == []

        staff = await (await browser.new_context(locale="sv-SE")).new_page()
        await staff_login(staff, stack["url"], "pia")
        await staff.goto(f"{stack['url']}/staff/cases/{reference}")
        photo = staff.locator(".case-media .photos img")
        await expect(photo).to_have_count(1)
        await expect(staff.locator(".case-media .coordinates")).to_have_text("59.329300, 18.068600")
        link = staff.locator(".case-media .positions a")
        await expect(link).to_have_attribute("href", re.compile(r"^https://www\.openstreetmap\.org/\?mlat=59\.3293"))
        await expect(staff.locator("#log li.resident img")).to_have_count(1)  # in the transcript, where it was sent
        assert await photo.evaluate("img => img.complete && img.naturalWidth") == 2048
        source = await photo.get_attribute("src")
        stored = await staff.request.get(f"{stack['url']}{source}")
        image = Image.open(io.BytesIO(await stored.body()))
        assert dict(image.getexif()) == {} and "exif" not in image.info  # no GPS, no device left
        await staff.screenshot(path=str(ARTIFACTS / "staff-case-photo.png"), full_page=True)
