"""A person in Chromium: sign up, upload a PDF CV, see "generating" then the list, open
"Why this match?", save a job, vote one down and see it leave, search, open a job, visit
every page (a screenshot of each), sign out and be refused; and no request ever leaves
127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from schema.database import connect
from schema.queries.accounts import account_by_email, set_admin
from tests.browser.conftest import LiveApp, requests_made, screenshot
from tests.unit.test_uploads import make_pdf

PASSWORD = "correct horse battery"
CV_LINES = [
    "Backend engineer, six years of Python and Django.",
    "Built REST APIs on PostgreSQL, Docker and AWS.",
    "Celery queues, pytest, Terraform.",
]


def _wait(driver: Any, seconds: float = 20) -> WebDriverWait[Any]:
    return WebDriverWait(driver, seconds)


def _sign_up(driver: Any, base: str, email: str) -> None:
    driver.get(f"{base}/signup")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "confirm").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    _wait(driver).until(ec.url_contains("/cv"))


def _upload_and_see_generating(driver: Any, app: LiveApp, tmp_path: Path) -> None:
    pdf = tmp_path / "my-cv.pdf"
    pdf.write_bytes(make_pdf(CV_LINES))
    driver.find_element(By.ID, "file").send_keys(str(pdf))
    assert "my-cv.pdf" in driver.find_element(By.CSS_SELECTOR, ".chosen").text
    screenshot(driver, "01-cv-upload")
    driver.find_element(By.CSS_SELECTOR, "form.upload button[type=submit]").click()
    generating = _wait(driver).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".generating"))
    )
    assert "Generating your recommendations" in generating.text
    screenshot(driver, "02-generating")
    assert app.run_queued() >= 1  # the worker's part: embed the CV, build the list
    _wait(driver, 30).until(ec.presence_of_element_located((By.CSS_SELECTOR, "ol.cards li")))
    screenshot(driver, "03-recommended")


def _why_save_and_vote(driver: Any) -> None:
    cards = driver.find_elements(By.CSS_SELECTOR, "ol.cards > li")
    assert len(cards) == 10
    first, second = cards[0], cards[1]
    first.find_element(By.CSS_SELECTOR, "details.why summary").click()
    chips = first.find_elements(By.CSS_SELECTOR, ".chip")
    assert chips
    assert chips[0].is_displayed()
    assert first.find_elements(By.CSS_SELECTOR, ".quotes blockquote")
    screenshot(driver, "04-why-this-match")

    second_id = second.get_attribute("id")
    height = second.rect["height"]
    second.find_element(By.XPATH, ".//button[normalize-space()='Save']").click()
    _wait(driver).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, f"#{second_id} .actions"), "Saved")
    )
    # The swap replaced the action bar in place: the card kept its size.
    assert driver.find_element(By.ID, second_id).rect["height"] == height
    first_id = first.get_attribute("id")
    first.find_element(By.CSS_SELECTOR, "input[name=reason]").send_keys("too far away")
    first.find_element(By.CSS_SELECTOR, "button[value=down]").click()
    _wait(driver).until(ec.invisibility_of_element_located((By.ID, first_id)))
    assert not driver.find_elements(By.ID, first_id)
    assert "Hidden" in driver.find_element(By.ID, "flash").text
    driver.refresh()
    assert not driver.find_elements(By.ID, first_id)  # gone for good, not only hidden


def _search_and_open(driver: Any, base: str) -> None:
    driver.get(f"{base}/search")
    box = driver.find_element(By.ID, "q")
    box.send_keys("python backend")
    box.submit()
    link = _wait(driver).until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, "#search-results ol.cards h3 a"))
    )
    screenshot(driver, "05-search")
    title = link.text
    link.click()
    heading = _wait(driver).until(ec.presence_of_element_located((By.ID, "job-title")))
    assert heading.text == title
    assert driver.find_element(By.CSS_SELECTOR, ".description").text
    screenshot(driver, "06-job")


def _every_page(driver: Any, base: str) -> None:
    for name, path, marker in [
        ("07-saved", "/saved", "Saved jobs"),
        ("08-applications", "/applications", "Applications"),
        ("09-cv", "/cv", "The text we read"),
        ("10-preferences", "/preferences", "Preferences"),
        ("11-tokens", "/tokens/", "API tokens"),
        ("12-admin", "/admin", "Task runs"),
    ]:
        driver.get(base + path)
        assert marker in driver.find_element(By.TAG_NAME, "main").text, path
        _assert_rendered(driver)
        screenshot(driver, name)
    driver.get(f"{base}/schema")
    _wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".swagger-ui .opblock")))
    screenshot(driver, "13-api-docs")


def _assert_rendered(driver: Any) -> None:
    """The stylesheet, htmx and the icon sprite all loaded from the app."""
    background = driver.execute_script(
        "return getComputedStyle(document.documentElement).backgroundColor"
    )
    assert background == "rgb(246, 247, 249)"
    assert driver.execute_script("return typeof window.htmx") == "object"


def _keyboard(driver: Any, base: str) -> None:
    """Tab reaches the skip link first, then the controls, each with a visible outline."""
    from selenium.webdriver.common.keys import Keys

    driver.get(base + "/")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    active = driver.switch_to.active_element
    assert active.text == "Skip to content"
    for _ in range(3):
        active.send_keys(Keys.TAB)
        active = driver.switch_to.active_element
        outline = driver.execute_script(
            "return getComputedStyle(arguments[0]).outlineStyle", active
        )
        assert outline != "none", active.get_attribute("outerHTML")[:80]


def _narrow(driver: Any, base: str) -> None:
    """At 360 px wide nothing scrolls sideways."""
    driver.set_window_size(360, 800)
    for path in ("/", "/search?q=python", "/cv", "/tokens/"):
        driver.get(base + path)
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px too wide at 360px"
    driver.get(base + "/")
    screenshot(driver, "14-recommended-360px")
    driver.set_window_size(1280, 900)


def test_a_person_uses_the_web_app(live_app: LiveApp, browser: Any, tmp_path: Path) -> None:
    base = live_app.base
    _sign_up(browser, base, "ada@example.com")
    with connect(live_app.db_url) as conn:
        account = account_by_email(conn, "ada@example.com")
        assert account is not None
        set_admin(conn, account.id)  # to see the admin page as well
        conn.commit()
    _upload_and_see_generating(browser, live_app, tmp_path)
    _why_save_and_vote(browser)
    _search_and_open(browser, base)
    _every_page(browser, base)
    _keyboard(browser, base)
    _narrow(browser, base)

    browser.find_element(By.CSS_SELECTOR, "form.signout button").click()
    _wait(browser).until(ec.url_contains("/signin"))
    browser.get(f"{base}/saved")
    assert urlsplit(browser.current_url).path == "/signin"  # refused: sign in first

    # chrome:// and data: URLs are the browser's own; anything on the network counts.
    network = [
        u for u in requests_made(browser) if urlsplit(u).scheme in {"http", "https", "ws", "wss"}
    ]
    assert network, "the performance log recorded no request"
    hosts = {urlsplit(url).hostname for url in network}
    assert hosts == {"127.0.0.1"}, f"requests left 127.0.0.1: {hosts}"


def test_a_wrong_password_is_said_in_the_page(live_app: LiveApp, browser: Any) -> None:
    _sign_up(browser, live_app.base, "ada@example.com")
    browser.find_element(By.CSS_SELECTOR, "form.signout button").click()
    _wait(browser).until(ec.url_contains("/signin"))
    browser.find_element(By.ID, "email").send_keys("ada@example.com")
    browser.find_element(By.ID, "password").send_keys("not my password")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    error = _wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".error")))
    assert "do not match an account" in error.text
    screenshot(browser, "15-wrong-password")
