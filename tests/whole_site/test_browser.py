"""A real browser: Debian's headless Chromium, driven by selenium through /usr/bin/chromedriver,
looks at the demo's trace page, listing page (where a share link lands) and public-benefit
project page on a phone-sized screen and at the admin login, as a person would.
Screenshots go to test-artifacts/<database>/ (postgresql or sqlite: CI runs both at once).

Without Chromium the tests are skipped with the reason, except in CI (CI=true or
SHANHUO_REQUIRE_SERVICES=1), where a missing browser fails: `make browser-deps` installs it.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / connection.vendor
PHONE = {"width": 390, "height": 844, "pixelRatio": 3.0}
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/156.0 Mobile Safari/537.36")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage",
         # Only the live server is reachable: a page that names an outside host (a video
         # thumbnail) must not send the browser off this machine.
         "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1"]


def _require_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if not missing:
        return
    reason = (f"{' and '.join(missing)} missing: `make browser-deps` "
              "(apt-get install chromium chromium-driver)")
    required = os.environ.get("CI", "").lower() == "true" or os.environ.get(
        "SHANHUO_REQUIRE_SERVICES") == "1"
    if required:
        pytest.fail(f"CI needs the real browser: {reason}")
    pytest.skip(reason)


@pytest.fixture
def browser_factory():
    """`browser_factory(phone=True)` -> a fresh headless Chromium with its own profile."""
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    drivers, profiles = [], []

    def make(*, phone: bool = False):
        profile = tempfile.mkdtemp(prefix="shanhuo-chromium-")
        profiles.append(profile)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        if phone:
            options.add_experimental_option(
                "mobileEmulation", {"deviceMetrics": PHONE, "userAgent": PHONE_UA})
        else:
            options.add_argument("--window-size=1280,900")
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        driver.set_page_load_timeout(30)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.quit()
    for profile in profiles:
        shutil.rmtree(profile, ignore_errors=True)


def _visible_text(driver) -> str:
    return driver.find_element("tag name", "body").text


def _full_page_screenshot(driver, path: Path) -> None:
    import base64

    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    path.write_bytes(base64.b64decode(shot["data"]))


@pytest.fixture
def demo(transactional_db, settings, monkeypatch):
    """The demo marketplace, as `make run` shows it (video titles are not fetched: no network)."""
    from promotion import tasks

    monkeypatch.setattr(tasks.video_fetch_details, "delay", lambda *args, **kwargs: None)
    with open(os.devnull, "w") as quiet:
        call_command("demo", force=True, stdout=quiet)


def _fits_a_phone(driver) -> None:
    """The page fits a phone's width (no sideways scrolling) and its text is readable."""
    assert driver.execute_script("return window.innerWidth") == PHONE["width"]
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone's screen"
    font_px = driver.execute_script(
        "return parseFloat(getComputedStyle(document.body).fontSize)")
    assert font_px >= 14


def _admin_login_shows_the_form_and_lets_staff_in(driver, url: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{url}/admin/login/")

    username = driver.find_element("name", "username")
    password = driver.find_element("name", "password")
    assert username.is_displayed() and password.is_displayed()
    assert driver.find_element("css selector", "[type=submit]").is_displayed()
    driver.save_screenshot(str(ARTIFACTS / "admin-login.png"))

    username.send_keys("admin")
    password.send_keys("shanhuo-admin-2026")
    driver.find_element("css selector", "[type=submit]").click()

    # the click returns before the next page has loaded on a busy machine
    WebDriverWait(driver, 20).until(
        lambda d: not d.current_url.rstrip("/").endswith("/admin/login"))
    assert driver.current_url.rstrip("/").endswith("/admin")
    text = _visible_text(driver)
    assert "山货 Shanhuo 管理后台" in text
    assert driver.find_elements("css selector", "#content a[href*='/admin/producers/']")
    driver.save_screenshot(str(ARTIFACTS / "admin-index.png"))


def _trace_page_reads_well(driver, url: str) -> None:
    from producers.models import Batch

    batch = (Batch.objects.select_related("listing__producer__region")
             .order_by("id").first())
    assert batch is not None, "the demo has no harvest lot to trace"
    producer = batch.listing.producer

    driver.get(f"{url}/trace/{batch.trace_code}")

    text = _visible_text(driver)
    harvested = batch.harvested_on
    assert producer.name in text
    assert batch.listing.title in text
    assert batch.lot_code in text
    assert f"{harvested.year}年{harvested.month}月{harvested.day}日" in text
    assert producer.region.name in text
    _fits_a_phone(driver)
    _full_page_screenshot(driver, ARTIFACTS / "trace-phone.png")


def _listing_page_reads_well(driver, url: str) -> None:
    """Where a share link lands (/p/{code} -> /l/{id}): the listing for a person, no JavaScript."""
    from producers.models import Listing
    from promotion.models import Link

    link = Link.objects.filter(listing__status=Listing.Status.ACTIVE).order_by("id").first()
    assert link is not None, "the demo has no share link to a listing"
    listing = link.listing

    driver.get(f"{url}/p/{link.code}")

    assert driver.current_url.split("?")[0] == f"{url}/l/{listing.pk}"
    text = _visible_text(driver)
    assert listing.title in text
    assert f"¥{listing.price}" in text
    assert listing.producer.name in text
    open_app = driver.find_element("id", "open-app")
    assert open_app.is_displayed()
    assert open_app.get_attribute("href").endswith(f"/{listing.pk}")
    assert driver.execute_script("return document.scripts.length") == 0
    _fits_a_phone(driver)
    _full_page_screenshot(driver, ARTIFACTS / "listing-phone.png")


def _benefit_project_page_reads_well(driver, url: str) -> None:
    """The village school's page (/benefit/{id}): story, totals, the public ledger's latest
    entries and the charity's registration code, no JavaScript."""
    from benefit.models import Project

    project = Project.objects.select_related("charity").order_by("id").first()
    assert project is not None, "the demo has no public-benefit project"

    driver.get(f"{url}/benefit/{project.pk}")

    text = _visible_text(driver)
    assert project.title in text
    assert project.charity.name in text
    assert project.charity.registration_code in text
    assert "公开账本" in text and "拨付" in text and "认捐" in text
    assert driver.execute_script("return document.scripts.length") == 0
    _fits_a_phone(driver)
    _full_page_screenshot(driver, ARTIFACTS / "benefit-phone.png")


@pytest.mark.django_db(transaction=True)
def test_the_demo_reads_well_on_a_phone_and_lets_staff_into_the_admin(
        browser_factory, live_server, demo):
    """One demo load for every page (loading it is most of each check's time): the trace
    page, the listing a share link lands on and the village school's page on a phone, then the
    admin login on a desktop window. Each check's assertion names its page."""
    phone = browser_factory(phone=True)
    _trace_page_reads_well(phone, live_server.url)
    _listing_page_reads_well(phone, live_server.url)
    _benefit_project_page_reads_well(phone, live_server.url)

    _admin_login_shows_the_form_and_lets_staff_in(browser_factory(), live_server.url)


def test_a_missing_browser_fails_in_ci_and_is_skipped_with_the_reason_elsewhere(monkeypatch):
    import tests.whole_site.test_browser as this

    monkeypatch.setattr(this, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI needs the real browser"):
        _require_browser()

    monkeypatch.delenv("CI")
    monkeypatch.delenv("SHANHUO_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="make browser-deps"):
        _require_browser()
