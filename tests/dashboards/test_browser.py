"""A real browser (Debian's Chromium driven by Playwright): log in, visit every page, no error.

Screenshots of every page are saved under artifacts/screenshots for review.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboards.lib.auth import write_demo_auth_file
from orchestration.cli.serve import streamlit_command
from orchestration.project import REPO_ROOT
from tests.support.binaries import require_binary
from tests.support.streamlit_server import free_port, wait_until_healthy

pytestmark = pytest.mark.browser
TITLES = [
    "Vue d'ensemble",
    "Commandes et chiffre d'affaires",
    "Clients",
    "Entonnoir",
    "Aides et financement",
    "SAV et satisfaction",
    "Impayés",
    "Conformité",
]
HEADINGS = {"Entonnoir": "Entonnoir d'acquisition"}


@pytest.fixture(scope="module")
def auth_file(tmp_path_factory):
    return tmp_path_factory.mktemp("auth") / "auth.yaml"


@pytest.fixture(scope="module")
def server(published_place, auth_file):
    auth = auth_file
    write_demo_auth_file(auth)
    port = free_port()
    env = {
        **os.environ,
        "MGREEN_PUBLISHED_PATH": str(published_place.published),
        "MGREEN_DASHBOARD_AUTH_FILE": str(auth),
    }
    proc = subprocess.Popen(
        streamlit_command(port),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    if not wait_until_healthy(url):
        proc.kill()
        pytest.fail("streamlit did not start: " + proc.stdout.read().decode()[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=20)


BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


ROLE_PAGES = {
    "direction": TITLES,
    "commercial": [t for t in TITLES if t != "Conformité"],
    "dpo": ["Vue d'ensemble", "Conformité"],
}


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_each_role_visits_its_pages_without_error_or_english_on_compliance(server, role):
    chromium = require_binary("/usr/bin/chromium", "the real-browser test drives Debian's Chromium")
    from playwright.sync_api import expect, sync_playwright

    from dashboards.lib import formatting as fmt

    identifiers = set(fmt.GUARD_RULES) | set(fmt.GUARD_TARGETS) | {"True", "False", "published file"}
    shots = Path(os.environ.get("MGREEN_ARTIFACTS_DIR", REPO_ROOT / "artifacts")) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
        page.goto(server)
        page.get_by_label("Identifiant").fill(role)
        page.get_by_label("Mot de passe").fill(f"demo-{role}-2026")
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_text("Données au").first).to_be_visible(timeout=30_000)
        for title in set(TITLES) - set(ROLE_PAGES[role]):
            assert page.get_by_role("link", name=title, exact=True).count() == 0, (role, title)
        for i, title in enumerate(ROLE_PAGES[role]):
            page.get_by_role("link", name=title).first.click()
            expect(page.get_by_role("heading", name=HEADINGS.get(title, title)).first).to_be_visible(timeout=30_000)
            # Streamlit draws placeholders, then the charts: wait until the script has finished.
            page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stSkeleton\"]')"
                ' && !document.querySelector(\'[data-testid="stStatusWidget"] [data-testid="stSpinner"]\')',
                timeout=30_000,
            )
            page.wait_for_timeout(500)
            expect(page.get_by_text("Données au").first).to_be_visible()
            assert page.locator("[data-testid='stException']").count() == 0, (role, title)
            if title == "Conformité":
                words = set(page.locator("[data-testid='stMain']").inner_text().split())
                assert not words & identifiers, words & identifiers
            name = title.replace(" ", "_").replace(chr(39), "")
            page.screenshot(path=str(shots / f"{role}-{i + 1:02d}-{name}.png"), full_page=True)
        browser.close()
    assert len(list(shots.glob(f"{role}-*.png"))) >= len(ROLE_PAGES[role])


def mgreen_users(auth: Path, *args: str, typed: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "mgreen"), "users", *args],
        input=typed,
        capture_output=True,
        text=True,
        env={**os.environ, "MGREEN_DASHBOARD_AUTH_FILE": str(auth)},
        timeout=60,
    )


def test_an_account_from_mgreen_users_logs_in_changes_password_and_is_removed(server, auth_file):
    chromium = require_binary("/usr/bin/chromium", "the real-browser test drives Debian's Chromium")
    from playwright.sync_api import expect, sync_playwright

    first, second = "premier-mot-de-passe", "second-mot-de-passe"
    added = mgreen_users(auth_file, "add", "lea", "--role", "dpo", "--first-name", "Léa", typed=f"{first}\n{first}\n")
    assert added.returncode == 0, added.stderr
    assert first not in added.stdout + added.stderr

    def log_in(password: str):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
            page = browser.new_page(locale="fr-FR")
            page.goto(server)
            page.get_by_label("Identifiant").fill("lea")
            page.get_by_label("Mot de passe").fill(password)
            page.get_by_role("button", name="Se connecter").click()
            try:
                expect(
                    page.get_by_text("Données au").or_(page.get_by_text("Identifiant ou mot de passe incorrect."))
                ).to_be_visible(timeout=30_000)
                return page.get_by_text("rôle dpo").count() > 0
            finally:
                browser.close()

    assert log_in(first)
    assert mgreen_users(auth_file, "passwd", "lea", typed=f"{second}\n{second}\n").returncode == 0
    assert not log_in(first)
    assert log_in(second)
    assert mgreen_users(auth_file, "remove", "lea").returncode == 0
    assert not log_in(second)
