"""Browser tests: the session's `app` served by a live server in a thread, driven by Playwright
with Debian's Chromium (headless). Hosts like customs-be.eata.test are mapped to 127.0.0.1 by
Chromium's host resolver rules, and the app ignores the port (EATA_DOMAIN has none).

pytest-playwright is not used: the fixtures below call playwright.sync_api directly.
"""

from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("EATA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP *.eata.test 127.0.0.1",
]


class LiveServer:
    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, kind: str, code: str | None = None, path: str = "/") -> str:
        label = f"customs-{code}" if kind == "customs" else kind
        return f"http://{label}.eata.test:{self.port}{path}"


@pytest.fixture(scope="session")
def live_server(app):
    server = LiveServer(app)
    server.thread.start()
    yield server
    server.server.shutdown()
    server.thread.join(timeout=10)
    server.server.server_close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    pw.stop()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    pg.csp_violations = []
    pg.on(
        "console",
        lambda msg: "Content Security Policy" in msg.text and pg.csp_violations.append(msg.text),
    )
    yield pg
    context.close()


@pytest.fixture
def outbox_dir(app):
    """The folder where the development mailer writes each message (.eml)."""
    return app.config["MAIL_OUTBOX_DIR"]
