"""A real OpenID Connect provider for the SSO tests (F-19): tests/support/oidc_provider.mjs, the
certified `oidc-provider` package run with Node on 127.0.0.1, and the calls the tests make to it
(which user logs in next, key rotation, a tampered ID token; see the .mjs file)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import time
from urllib.parse import urljoin, urlsplit

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tests", "support", "oidc_provider.mjs")
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OidcProvider:
    def __init__(self, clients: list[dict]) -> None:
        if not os.path.isdir(os.path.join(ROOT, "node_modules", "oidc-provider")):
            raise RuntimeError("node_modules/oidc-provider is missing: run `make setup` (npm ci)")
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile("w+", prefix="oidc-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            ["node", SCRIPT, json.dumps({"port": self.port, "clients": clients})],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"oidc-provider exited: {self.output()}")
            if "listening " in self.output():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"oidc-provider did not start: {self.output()}")

    def output(self) -> str:
        with open(self.log.name) as fh:
            return fh.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        os.unlink(self.log.name)

    def control(self, what: str, **data) -> dict:
        r = requests.post(f"{self.issuer}/__test__/{what}", json=data, timeout=10)
        r.raise_for_status()
        return r.json()

    def user(self, sub: str, email: str, verified: bool = True, name: str = "Test User") -> None:
        self.control(
            "user", sub=sub, claims={"email": email, "email_verified": verified, "name": name}
        )

    def next_login(self, sub: str, amr: list[str] | None = None, acr: str | None = None):
        data = {"sub": sub}
        if amr is not None:
            data["amr"] = amr
        if acr is not None:
            data["acr"] = acr
        self.control("login", **data)

    def tamper(self, **changes) -> None:
        self.control("tamper", **changes)

    def rotate(self) -> str:
        return self.control("rotate")["kid"]

    def reset(self) -> None:
        self.control("reset")

    def authorize(self, url: str, stop_at: str = "http://customs-") -> str:
        """Follow the provider's redirects from the authorization URL (the interaction logs in
        the user named by next_login) until the redirect back to the portal; return it."""
        browser = requests.Session()
        for _ in range(10):
            r = browser.get(url, allow_redirects=False, timeout=10)
            location = r.headers.get("Location")
            assert location, f"provider answered {r.status_code}: {r.text[:300]}"
            url = urljoin(url, location)
            if url.startswith(stop_at):
                return url
        raise AssertionError("too many redirects at the provider")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
