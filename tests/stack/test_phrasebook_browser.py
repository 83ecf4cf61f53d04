"""The phrasebook and the public key figures (issue 17) in real browsers against the whole stack.

A case officer (Swedish only) claims an Arabic resident's chat, sends a phrasebook reply and a line of
their own text; the resident reads the phrase in Arabic and the own text marked "written in Swedish" in
Arabic. axe-core finds nothing on the case page with the phrasebook, on the resident's chat, nor on the
public key-figures page, which opens without a login from the widget's link in the resident's language.
"""

from __future__ import annotations

from bot.core import phrasebook
from bot.core.catalog import Catalogs
from tests.helpers.browser import ARTIFACTS, add_staff, ask_for_a_person, chromium, staff_login
from tests.stack.test_stack import READY_TIMEOUT
from tests.stack.test_widget import axe_violations, new_page

CATALOGS = Catalogs()


async def test_a_case_officer_uses_the_phrasebook_and_the_arabic_resident_reads_arabic(stack):
    from playwright.async_api import expect

    add_staff(stack["env"], "sven", "Sven Lund", "sv")
    async with chromium(stack["url"], READY_TIMEOUT) as browser:
        resident = await new_page(browser, locale="ar")
        staff = await new_page(browser)
        reference = await ask_for_a_person(resident, stack["url"], "ar", "أريد التحدث مع موظف")

        await staff_login(staff, stack["url"], "sven")
        row = staff.locator(f'tr[data-reference="{reference}"]')
        await expect(row).to_be_visible(timeout=15_000)
        await row.locator("button.claim").click()
        await expect(staff.locator("h1")).to_contain_text(reference)
        await expect(staff.locator("#phrasebook")).to_be_visible()

        await staff.click('#phrasebook button[data-phrase="interpreter_call"]')
        arabic_phrase = phrasebook.phrase(CATALOGS, "interpreter_call", "ar", {})
        from_staff = resident.locator("#log li.staff")
        await expect(from_staff.filter(has_text=arabic_phrase)).to_be_visible(timeout=15_000)
        assert await from_staff.last.get_attribute("lang") == "ar"
        sent = staff.locator("#log li.staff .phrase-sent")
        await expect(sent.last).to_have_text("Frasbok: Vi ringer dig med en tolk.", timeout=15_000)

        await staff.fill("#message", "Hej!")
        await staff.press("#message", "Enter")
        own = from_staff.filter(has_text="Hej!")
        mark = phrasebook.written_in_swedish(CATALOGS, "ar")
        await expect(own.locator(".note")).to_have_text(mark, timeout=15_000)
        assert await own.locator(".note").get_attribute("lang") == "ar"
        await expect(staff.locator("#log li.staff .phrase-sent").last).to_have_text("märkt ”skrivet på svenska”")

        assert await axe_violations(staff) == []
        assert await axe_violations(resident) == []  # the marked message and the key-figures link
        await staff.screenshot(path=str(ARTIFACTS / "staff-phrasebook.png"), full_page=True)
        await resident.screenshot(path=str(ARTIFACTS / "resident-phrasebook-ar.png"), full_page=True)

        link = resident.locator("#figures-link")
        await expect(link).to_have_text(CATALOGS.get("ar").public_figures["link"])
        assert (await link.get_attribute("href")).endswith("/key-figures?lang=ar")
        public = await new_page(browser, locale="ar")  # no staff session in this browser profile
        response = await public.goto(await link.get_attribute("href"))
        assert response.status == 200 and public.url.endswith("/key-figures?lang=ar")
        await expect(public.locator("html")).to_have_attribute("dir", "rtl")
        await expect(public.locator("h1")).to_contain_text("ما مدى سرعة")
        await expect(public.locator("table").first).to_contain_text("أقل من 5")  # one case so far
        assert await axe_violations(public) == []
        await public.screenshot(path=str(ARTIFACTS / "public-key-figures-ar.png"), full_page=True)
        assert not resident.problems and not staff.problems and not public.problems
