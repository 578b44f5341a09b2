"""A live app on 127.0.0.1 and headless Chromium (Debian's `chromium` and
`chromium-driver`, which `make test` installs) driven by Selenium.

The app runs in a thread of the test process with the fake embedder and the real
PostgreSQL queue, so a test decides when queued work runs (`run_queued`) and can see
the page say "generating" first. Chromium is told that no host but 127.0.0.1 exists,
and every request it makes is recorded (`requests_made`).
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from server.app import create_app
from tests.fakes import FakeEmbedder
from tests.serving import free_port
from tests.web.helpers import demo_database
from workers.pipelines.serving import Embedders
from workers.settings import Settings
from workers.tasks import Tasks, create_tasks

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "browser"
CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # Every name but the app's resolves to nothing: a page that needed the internet
    # would show it.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)


@dataclass
class LiveApp:
    base: str
    tasks: Tasks
    db_url: str

    def run_queued(self) -> int:
        """Run every queued task here, as a worker would; how many ran."""
        ran = 0
        while (task := self.tasks.huey.dequeue()) is not None:
            self.tasks.huey.execute(task)
            ran += 1
        return ran


@pytest.fixture
def live_app(db_url: str, tmp_path: Path) -> Iterator[LiveApp]:
    """The demo data and the whole app served by uvicorn on 127.0.0.1."""
    import uvicorn

    demo_database(db_url, tmp_path)
    settings = Settings(home=tmp_path)
    embedder = FakeEmbedder()
    app = create_app(settings, database_url=db_url, embedder=embedder)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the app did not start within 30 s"
    embedders = Embedders(settings.model, tmp_path / "models", fixed=embedder)
    tasks = create_tasks(settings, db_url, embedders=embedders)
    try:
        yield LiveApp(f"http://127.0.0.1:{port}", tasks, db_url)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        tasks.huey.storage.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium at 1280×900, with its network log."""
    if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
        pytest.skip(f"{CHROMIUM} and {DRIVER} are needed: `make test` installs them as root")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_argument("--window-size=1280,900")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def requests_made(driver: Any) -> list[str]:
    """URLs the browser requested since the last call (from its performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def screenshot(driver: Any, name: str) -> Path:
    """A full-page PNG under test-output/browser/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, max(900, min(int(height) + 150, 6000)))
    driver.save_screenshot(str(path))
    driver.set_window_size(width, 900)
    return path
