"""The clinical review sheet (make review-sheet) opened in headless Chromium.

Writes the sheet into a temporary folder with scripts/review_sheet.py (HTML and
the PDF Chromium prints), opens the HTML in Debian's /usr/bin/chromium through
Playwright, checks every topic and the safety replies are there, and leaves a
screenshot in test-artifacts/review-sheet.png.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from playwright import sync_api

from clinic.topics import TOPICS
from scripts import check_answers as kb

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
expect = sync_api.expect


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert CHROMIUM.exists(), "no /usr/bin/chromium: run scripts/install_browser.sh"
    out = tmp_path_factory.mktemp("review")
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "review_sheet.py"), "--out", str(out)],
        cwd=ROOT,
        check=True,
        timeout=600,
    )
    return out


def test_the_pdf_is_printed(sheet: Path) -> None:
    pdf = sheet / "review-sheet.pdf"
    assert pdf.exists()
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 50_000


def test_every_topic_and_safety_reply_is_on_the_sheet(sheet: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless=new", "--no-sandbox", "--disable-gpu"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((sheet / "review-sheet.html").as_uri())
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Clinical review sheet: nerve-pain assistant"
        )
        page.screenshot(path=str(ARTIFACTS / "review-sheet.png"))

        variants = kb.load_variants()
        for topic in TOPICS.values():
            section = page.locator(f"section.topic[data-topic='{topic.id}']")
            expect(section).to_have_count(1)
            expect(section.locator("h3")).to_contain_text(topic.label)
            short_body, _ = kb.split_answer(variants[topic.answer]["short"])
            expect(section).to_contain_text(kb.first_sentence(short_body))
            expect(section).to_contain_text("Full answer")
            expect(section).to_contain_text("Last changed:")
            expect(
                section.locator(".label", has_text="Example questions")
            ).to_have_count(1)
            assert section.locator(".label + ul li").first.count() == 1
            row = page.locator(f"tr[data-topic='{topic.id}']")
            expect(row.locator("td.sign")).to_have_text("")  # empty, to be signed

        if kb.SOURCES_DIR.is_dir():
            assert page.locator("blockquote").count() >= len(TOPICS)
        else:
            expect(page.locator(".missing").first).to_contain_text("not available")

        safety = page.locator(
            "table", has=page.locator("code", has_text="utter_urgent_care")
        )
        for name in ("utter_crisis_support", "utter_crisis_support_other",
                     "utter_overdose", "utter_ask_prescriber",
                     "utter_disclaimer_full"):  # fmt: skip
            expect(safety).to_contain_text(name)
        expect(safety).to_contain_text("911")  # the clinic's numbers filled in
        expect(safety).not_to_contain_text("{emergency_number}")
        expect(page.locator("#concept-face_droop")).to_contain_text("droop…")

        # One self-contained file: nothing loaded besides itself, no scripts.
        assert [r for r in requests if not r.startswith("file://")] == []
        assert page.locator("script").count() == 0
        assert errors == []
        browser.close()
