"""Sign-in and access control in a real browser, through a real OpenID Connect provider.

The provider is ``oidc-provider-mock`` on a loopback port (its login form asks for a subject;
the claims of each subject are set over its HTTP API). The dashboard runs with an ``[auth]``
secrets file pointing at it, the shipped access policy (config/access.yaml), the sample
warehouse and a state file of its own. Screenshots: artifacts/screenshots/access_*.png.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import socket
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from state import audit, kiosk
from state.store import StateStore
from tests import browser_support
from tests.browser_support import EXCEPTION, ROOT, free_port, start_server, stop_server, wait_ready
from tests.conftest import query
from tests.test_browser import SHOTS

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1440, "height": 900}
LAPTOP = {"width": 1366, "height": 768}
MAIN = '[data-testid="stMain"]'
SIDEBAR = '[data-testid="stSidebar"]'
NAV = '[data-testid="stSidebarNav"]'
DATA_ELEMENTS = (
    '[data-testid="stDataFrame"], [data-testid="stVegaLiteChart"], [data-testid="stMetric"],'
    ' [data-testid="stDownloadButton"], [data-testid="stMultiSelect"]'
)
TABLES = '[data-testid="stDataFrame"], [data-testid="stDownloadButton"]'
DIALOG = '[role="dialog"]'  # e.g. Streamlit's "Page not found"
CLOSED = "North Star is closed: its sign-in settings are broken"
EVIL = "https://evil.example"
OWN = "Key Accounts"

# Subjects at the provider and the claims it returns for them.
USERS = {
    "coo": {"email": "coo@northstar.example", "name": "Chief Operating Officer"},
    "helena": {"email": "helena.brandt@northstar.example", "name": "Helena Brandt"},
    "stranger": {"email": "stranger@elsewhere.example", "name": "Sam Stranger"},
    # known to the policy by a group of the identity token only
    "board": {
        "email": "board.member@northstar.example",
        "name": "Board Member",
        "groups": ["northstar-executives"],
    },
    # the COO's address, which the provider says is not verified: refused, never the COO
    "unverified": {
        "email": "coo@northstar.example",
        "email_verified": False,
        "name": "Chief Operating Officer",
    },
    # granted by group, no email; the display name is one the user chose (the COO's)
    "no-email": {"name": "Chief Operating Officer", "groups": ["northstar-executives"]},
}
# Every page address, with deep links; a signed-out visitor gets the sign-in screen on each.
ADDRESSES = [
    "/",
    "/pairs",
    "/explore",
    "/explore?metric=otif&by=portfolio",
    "/data",
    "/portfolio",
    "/contact-center",
    "/sop-wall?embed=true",
    "/account?customer_id=C100002",
    "/no-such-page",
]


@dataclass(frozen=True)
class Site:
    url: str
    state: StateStore
    log: Path


def _put_user(provider: str, sub: str, claims: dict[str, str]) -> None:
    req = urllib.request.Request(
        f"{provider}/users/{sub}",
        data=json.dumps(claims).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 204


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(port=0) as server:
        url = f"http://localhost:{server.server_port}"
        for sub, claims in USERS.items():
            _put_user(url, sub, claims)
        yield url


def serve_with_auth(tmp: Path, db: Path, provider: str, state: Path) -> tuple[object, str]:
    """A dashboard whose secrets file turns sign-in on, against ``provider``."""
    port = free_port()
    secrets = tmp / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "a-long-random-string-for-the-tests-only"\n'
        'client_id = "northstar-dashboard"\n'
        'client_secret = "not-a-real-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    env = {"STREAMLIT_SECRETS_FILES": str(secrets), "NORTHSTAR_STATE": str(state)}
    proc = start_server(db, port=port, env=env)
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def site(tmp_path_factory, warehouse, provider, chromium_path) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("signin")
    proc, url = serve_with_auth(tmp, warehouse, provider, tmp / "state.sqlite")
    yield Site(url, StateStore(tmp / "state.sqlite"), proc.log_path)
    stop_server(proc)


@pytest.fixture(scope="module")
def customers(warehouse) -> dict[str, tuple[str, str]]:
    """customer_id -> (name, portfolio)."""
    rows = query(warehouse, "SELECT customer_id, name, portfolio FROM customers")
    return {cid: (name, portfolio) for cid, name, portfolio in rows}


def _open(page, url: str) -> None:
    """The page at ``url``, every section of it opened: what leaks would show anywhere on it."""
    page.goto(url)
    wait_ready(page)
    browser_support.open_sections(page)


def sign_in(browser, site: Site, sub: str, viewport: dict[str, int] = DESKTOP):
    """A new browser that signs in as ``sub`` on the provider's own login form."""
    page = browser.new_context(viewport=viewport, accept_downloads=True).new_page()
    _open(page, site.url + "/")
    page.get_by_role("button", name="Sign in").click()
    page.locator('input[name="sub"]').fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(site.url + "/")
    wait_ready(page)
    return page


def shows_sign_in_only(page) -> None:
    main = page.inner_text(MAIN)
    assert page.inner_text(f"{MAIN} h1") == "North Star", main
    assert page.get_by_role("button", name="Sign in").is_visible()
    assert page.locator(NAV).count() == 0
    assert page.locator(DATA_ELEMENTS).count() == 0
    assert "OTIF" not in page.inner_text("body")


def page_text(page) -> str:
    """Everything the page says: its text and the cells of its tables (read from the grid's
    accessible table, which holds the rows on screen)."""
    return "\n".join([page.inner_text("body"), *page.locator("table").all_inner_texts()])


def others(customers: dict[str, tuple[str, str]]) -> tuple[set[str], set[str]]:
    """Names and ids of the customers outside Key Accounts, and the other portfolios."""
    own_names = {n for n, p in customers.values() if p == OWN}
    words = {n for n, p in customers.values() if p != OWN and n not in own_names}
    words |= {cid for cid, (_, p) in customers.items() if p != OWN}
    return words, {p for _, p in customers.values() if p != OWN}


def leaks(text: str, words: set[str], own: set[str] = frozenset()) -> list[str]:
    """The words of ``words`` in ``text``, apart from inside one of the reader's ``own`` names
    (her 'Baltic Garden GmbH' holds another portfolio's 'Baltic Garden')."""
    for name in sorted(own, key=len, reverse=True):
        text = text.replace(name, " ")
    return sorted(w for w in words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text))


def download(page, label: str) -> list[dict[str, str]]:
    with page.expect_download() as info:
        page.get_by_role("button", name=label).click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text("utf-8-sig"))))
    assert rows, f"{label}: an empty file proves nothing"
    return rows


def test_signed_out_visitor_reaches_nothing(browser, site):
    page = browser.new_context(viewport=DESKTOP).new_page()
    for address in ADDRESSES:
        _open(page, site.url + address)
        shows_sign_in_only(page)
    page.screenshot(path=str(SHOTS / "access_sign_in_1440x900.png"))
    page.set_viewport_size(LAPTOP)
    page.screenshot(path=str(SHOTS / "access_sign_in_1366x768.png"))


def test_coo_sees_every_portfolio(browser, site, customers):
    page = sign_in(browser, site, "coo")
    assert "Signed in as Chief Operating Officer" in page.inner_text(SIDEBAR)
    _open(page, site.url + "/portfolio")
    text = page_text(page)
    assert "Signed in as Chief Operating Officer" in page.inner_text(SIDEBAR)
    for portfolio in {p for _, p in customers.values()}:
        assert portfolio in text
    _open(page, site.url + "/explore?metric=otif&by=portfolio")
    rows = download(page, "Aggregate as CSV")
    assert {r["portfolio"] for r in rows} == {p for _, p in customers.values()}
    entries = audit.entries(site.state, email="coo@northstar.example")
    assert any(e["event"] == "sign-in" for e in entries)


def test_group_claim_grants_its_role(browser, site, customers):
    page = sign_in(browser, site, "board")
    assert "Signed in as Board Member" in page.inner_text(SIDEBAR)
    assert "Chief Operating Officer" in page.inner_text(SIDEBAR)  # the role's label
    _open(page, site.url + "/explore?metric=otif&by=portfolio")
    rows = download(page, "Aggregate as CSV")
    assert {r["portfolio"] for r in rows} == {p for _, p in customers.values()}


def test_portfolio_manager_sees_only_her_customers(browser, site, customers):
    words, portfolios = others(customers)
    own = {n for n, p in customers.values() if p == OWN}
    own_customer = min(c for c, (_, p) in customers.items() if p == OWN)
    other_customer = min(c for c, (_, p) in customers.items() if p == "Retail South")
    page = sign_in(browser, site, "helena")
    nav = page.inner_text(NAV)
    for title in ("North Star", "Old KPIs", "Explore", "Portfolios"):
        assert title in nav
    for title in ("Data & definitions", "Contact center", "S&OP wall"):
        assert title not in nav
    pages = [
        "/",
        "/pairs",
        "/explore?metric=otif&by=customer_id",
        "/portfolio",
        f"/account?customer_id={own_customer}",
        # hand-edited links: another portfolio's filter, another portfolio's customer
        "/portfolio?portfolio=Retail+South",
        f"/account?customer_id={other_customer}",
        "/explore?metric=otif&by=portfolio&portfolio=Retail+South",
    ]
    for address in pages:
        _open(page, site.url + address)
        text = page_text(page).replace(f"'{other_customer}'", "")  # the page may echo the URL
        sidebar = page.inner_text(SIDEBAR)
        assert "Signed in as Helena Brandt" in sidebar, address
        assert "sees only portfolio Key Accounts" in sidebar, address
        page.get_by_role("button", name="Sign out").wait_for(timeout=10_000)
        found = leaks(text, words | portfolios, own)
        assert not found, (address, found)
        if address.startswith("/portfolio"):
            page.screenshot(path=str(SHOTS / "access_portfolio_manager_portfolio_1440x900.png"))
    _open(page, f"{site.url}/account?customer_id={own_customer}")
    assert customers[own_customer][0] in page_text(page)  # her own customer does show
    # pages outside her role show her the home page, not theirs
    for address in ("/data", "/contact-center", "/sop-wall?embed=true"):
        _open(page, site.url + address)
        assert "not part of what your access grants" in page.inner_text(MAIN), address
        assert page.locator(MAIN).locator(DATA_ELEMENTS).count() == 0, address
        assert page.locator(DIALOG).count() == 0, address
        assert not leaks(page_text(page), words | portfolios, own), address

    # Explore's records and both CSV exports: only her customers, only her portfolio
    _open(page, site.url + "/explore?metric=otif&by=portfolio")
    assert {r["portfolio"] for r in download(page, "Aggregate as CSV")} == {OWN}
    records = download(page, "Records as CSV")
    assert {customers[r["customer_id"]][1] for r in records} == {OWN}
    _open(page, site.url + "/explore?metric=otif&by=portfolio&portfolio=Retail+South")
    assert not leaks(page_text(page), words | portfolios)

    for size, name in ((DESKTOP, "1440x900"), (LAPTOP, "1366x768")):
        page.set_viewport_size(size)
        _open(page, site.url + "/")
        page.wait_for_selector('[data-testid="stVegaLiteChart"] svg.marks')
        page.screenshot(path=str(SHOTS / f"access_portfolio_manager_review_{name}.png"))

    trail = audit.entries(site.state, email="helena.brandt@northstar.example", limit=1000)
    events = {e["event"] for e in trail}
    assert {"sign-in", "view", "download"} <= events
    views = [(e["page"], json.loads(e["detail"])) for e in trail if e["event"] == "view"]
    assert ("explore", {"metric": "otif", "by": "portfolio", "portfolio": "Retail South"}) in views
    downloads = [json.loads(e["detail"]) for e in trail if e["event"] == "download"]
    assert {"file": "otif records", "rows": len(records)} in downloads


def test_a_customer_picked_in_the_box_is_audited_with_its_id(browser, site, customers):
    """A customer picked in the Customer page's box was audited as `view account {}`."""
    cid = sorted(c for c, (_, p) in customers.items() if p == OWN)[1]
    email = "helena.brandt@northstar.example"

    def seen() -> int:
        views = audit.entries(site.state, email=email, event="view", limit=1000)
        return sum(e["page"] == "account" and json.loads(e["detail"]) == {"customer_id": cid}
                   for e in views)  # fmt: skip

    before = seen()
    page = sign_in(browser, site, "helena")
    _open(page, site.url + "/account")
    page.locator(f'{MAIN} [data-testid="stSelectbox"] input').click()
    page.keyboard.type(cid)  # typed, not scrolled to: the list draws only the options in view
    page.get_by_role("option", name=f"{customers[cid][0]} ({cid})", exact=True).click()
    page.wait_for_function(
        "c => new URL(location.href).searchParams.get('customer_id') === c", arg=cid
    )
    wait_ready(page)
    assert customers[cid][0] in page.inner_text(MAIN)
    assert seen() == before + 1


def test_unknown_user_gets_no_access_and_signs_out(browser, site):
    page = sign_in(browser, site, "stranger")
    for address in ("/", "/explore?metric=otif", "/portfolio"):
        _open(page, site.url + address)
        assert page.inner_text(f"{MAIN} h1") == "No access yet"
        assert "stranger@elsewhere.example" in page.inner_text(MAIN)
        assert page.locator(NAV).count() == 0
        assert page.locator(DATA_ELEMENTS).count() == 0
    for size, name in ((DESKTOP, "1440x900"), (LAPTOP, "1366x768")):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"access_no_access_{name}.png"))
    sign_out(page, site)
    refused = audit.entries(site.state, email="stranger@elsewhere.example", event="refused")
    assert refused


def sign_out(page, site: Site) -> None:
    """Sign out, through the provider's end-of-session page, back to the sign-in screen."""
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(site.url + "/")
    wait_ready(page)
    shows_sign_in_only(page)
    for address in ("/explore?metric=otif", "/portfolio"):
        _open(page, site.url + address)
        shows_sign_in_only(page)


def test_sign_out(browser, site):
    page = sign_in(browser, site, "helena")
    sign_out(page, site)


def test_kiosk_link_opens_the_wall_only(browser, site):
    link_id, token = kiosk.create(site.state, scope=(("portfolio", (OWN,)),), label="S&OP room")
    wall = f"{site.url}/sop-wall?embed=true&refresh=30&kiosk={token}"
    tv = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    _open(tv, wall)  # a screen left on: it must go dark once the link is revoked
    assert "S&OP · North Star" in tv.inner_text(MAIN)
    assert tv.locator(DIALOG).count() == 0
    tv.screenshot(path=str(SHOTS / "access_kiosk_wall_1920x1080.png"))
    page = browser.new_context(viewport=DESKTOP).new_page()
    for address in ("/", "/explore?metric=otif", "/portfolio", "/data", "/account?customer_id=C1"):
        joiner = "&" if "?" in address else "?"
        _open(page, f"{site.url}{address}{joiner}kiosk={token}")
        assert "S&OP · North Star" in page.inner_text(MAIN), address
        assert page.locator(f"{NAV}, {DIALOG}").count() == 0, address
        assert page.locator(TABLES).count() == 0, address
    for size, name in ((DESKTOP, "1440x900"), (LAPTOP, "1366x768")):
        page.set_viewport_size(size)
        _open(page, wall)
        page.screenshot(path=str(SHOTS / f"access_kiosk_wall_{name}.png"))
    views = audit.entries(site.state, event="view", limit=1000)
    assert any(e["email"] == "wall screen 'S&OP room'" for e in views)

    assert kiosk.revoke(site.state, link_id)
    tv.get_by_text("this wall-screen link was revoked").wait_for(timeout=120_000)
    wait_ready(tv)  # the run that says so has ended: what it no longer draws is gone
    assert "%" not in tv.inner_text(MAIN)
    for address in ("/sop-wall?embed=true", "/explore"):
        joiner = "&" if "?" in address else "?"
        _open(page, f"{site.url}{address}{joiner}kiosk={token}")
        assert page.inner_text(f"{MAIN} h1") == "This wall-screen link does not open anything"
        assert "S&OP · North Star" not in page.inner_text("body")
    _, other = kiosk.create(site.state, scope=(), label="tampered")
    _open(
        page, f"{site.url}/sop-wall?embed=true&kiosk={other[:-1]}{'0' if other[-1] != '0' else '1'}"
    )
    assert page.inner_text(f"{MAIN} h1") == "This wall-screen link does not open anything"


def test_failure_shows_an_error_id_not_a_traceback(browser, tmp_path, warehouse, provider):
    """A damaged state file (kiosk links, audit trail): a plain message and an error id on the
    page, the traceback only in the server log; nobody gets in unchecked or unrecorded."""
    state = tmp_path / "state.sqlite"
    state.write_bytes(b"this is not an SQLite database, it was damaged\n" * 200)
    proc, url = serve_with_auth(tmp_path, warehouse, provider, state)
    try:
        broken = Site(url, StateStore(state), proc.log_path)
        page = browser.new_context(viewport=DESKTOP).new_page()
        _open(page, f"{url}/sop-wall?embed=true&kiosk=0123abcd.0123456789abcdef")
        first = shows_error_id(page, proc.log_path)
        page = sign_in(browser, broken, "helena")
        second = shows_error_id(page, proc.log_path)
        assert first != second
    finally:
        stop_server(proc)


def shows_error_id(page, log: Path) -> str:
    text = page.inner_text(MAIN)
    assert page.inner_text(f"{MAIN} h1") == "North Star cannot open right now", text
    found = re.search(r"Error id ([0-9a-f]{8})", text)
    assert found, text
    assert page.locator(f"{EXCEPTION}, {NAV}, {DATA_ELEMENTS}").count() == 0
    body = page.inner_text("body")
    assert "Traceback" not in body and ".py" not in body and "/tmp" not in body, body
    assert not re.search(r"/\w+/", body), body  # no server path
    server_log = log.read_text(errors="replace")
    assert f"error id {found.group(1)}" in server_log and "Traceback" in server_log
    return found.group(1)


# ---- sign-in settings that cannot work close every page (unit table: test_signin_config.py) ----


@pytest.mark.slow
def test_a_typo_in_the_secrets_file_closes_every_address(browser, tmp_path, warehouse, provider):
    """A secrets file that does not parse used to read as "no sign-in": every page and row to
    anonymous visitors. Now every address, kiosk links included, shows one plain message."""
    port = free_port()
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "a-long-random-string-for-the-tests-only"\n'
        "client_id = northstar-dashboard\n"  # the typo: a value without quotes
        'client_secret = "not-a-real-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    state = tmp_path / "state.sqlite"
    _, token = kiosk.create(StateStore(state), scope=(), label="room")
    env = {"STREAMLIT_SECRETS_FILES": str(secrets), "NORTHSTAR_STATE": str(state)}
    proc = start_server(warehouse, port=port, env=env)
    try:
        page = browser.new_context(viewport=DESKTOP).new_page()
        for address in [*ADDRESSES, f"/sop-wall?embed=true&kiosk={token}"]:
            _open(page, f"http://127.0.0.1:{port}{address}")
            main = page.inner_text(MAIN)
            assert page.inner_text(f"{MAIN} h1") == CLOSED, (address, main)
            assert "secrets.toml is not valid TOML" in main and "line 4" in main, main
            assert page.locator(f"{NAV}, {DATA_ELEMENTS}, {EXCEPTION}, {DIALOG}").count() == 0
            assert page.get_by_role("button").count() == 0, address  # not even Sign in
            body = page.inner_text("body")
            assert "Traceback" not in body and str(tmp_path) not in body, body
            assert "OTIF" not in body and OWN not in body and "S&OP" not in body, address
        for size, name in ((DESKTOP, "1440x900"), (LAPTOP, "1366x768")):
            page.set_viewport_size(size)
            page.screenshot(path=str(SHOTS / f"access_broken_secrets_{name}.png"))
        log = proc.log_path.read_text(errors="replace")
        assert "sign-in settings are broken" in log and str(secrets) in log
        assert not audit.entries(StateStore(state), event="view")  # nobody saw any page
    finally:
        stop_server(proc)


# ---- identity from verified claims only --------------------------------------------------------


def test_an_unverified_email_is_refused_not_signed_in_as_its_owner(browser, site, provider):
    coo_sign_ins = len(audit.entries(site.state, email="coo@northstar.example", event="sign-in"))
    page = sign_in(browser, site, "unverified")
    for address in ("/", "/explore?metric=otif&by=portfolio", "/portfolio"):
        _open(page, site.url + address)
        main = page.inner_text(MAIN)
        assert page.inner_text(f"{MAIN} h1") == "Sign-in refused", (address, main)
        assert "coo@northstar.example is not verified" in main, main
        assert page.locator(f"{NAV}, {DATA_ELEMENTS}").count() == 0, address
        assert "Signed in as" not in page.inner_text("body")
    for size, name in ((DESKTOP, "1440x900"), (LAPTOP, "1366x768")):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"access_unverified_email_{name}.png"))
    refused = audit.entries(site.state, email=f"{provider}#unverified", event="refused")
    assert refused and "not verified" in refused[0]["detail"], refused
    assert json.loads(refused[0]["detail"])["claimed email"] == "coo@northstar.example"
    # nothing was recorded as the COO's: no sign-in, no view
    assert (
        len(audit.entries(site.state, email="coo@northstar.example", event="sign-in"))
        == coo_sign_ins
    )
    sign_out(page, site)


def test_a_group_grant_without_email_is_audited_under_the_subject(browser, site, provider):
    page = sign_in(browser, site, "no-email")
    assert "Signed in as Chief Operating Officer" in page.inner_text(SIDEBAR)  # shown, only
    _open(page, site.url + "/explore?metric=otif&by=portfolio")
    assert download(page, "Aggregate as CSV")
    _open(page, site.url + "/portfolio")
    subject = f"{provider}#no-email"
    trail = audit.entries(site.state, email=subject, limit=1000)
    assert {"sign-in", "view", "download"} <= {e["event"] for e in trail}, trail
    downloads = [json.loads(e["detail"])["file"] for e in trail if e["event"] == "download"]
    assert "otif aggregate" in downloads, downloads
    everyone = {e["email"] for e in audit.entries(site.state, limit=100_000)}
    assert "Chief Operating Officer" not in everyone and "" not in everyone, everyone


# ---- serving: localhost only, cross-origin and XSRF protection on ----------------------------


def test_serving_config_keeps_protection_on():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "localhost"
    assert config["server"]["enableCORS"] is True
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"


def _http(url: str, method: str = "GET", headers: dict[str, str] | None = None):
    req = urllib.request.Request(
        url, method=method, headers=headers or {}, data=b"" if method == "PUT" else None
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers
    except urllib.error.HTTPError as err:
        return err.code, err.headers


def _websocket_status(url: str, origin: str) -> int:
    """The status a WebSocket handshake to the app gets from ``origin`` (101: accepted)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(
            (
                "GET /_stcore/stream HTTP/1.1\r\n"
                f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Origin: {origin}\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Protocol: streamlit\r\n\r\n"
            ).encode()
        )
        return int(s.recv(4096).split(b" ", 2)[1])


def test_running_server_refuses_other_origins_and_unprotected_writes(app_url):
    status, headers = _http(f"{app_url}/_stcore/health", headers={"Origin": EVIL})
    assert status == 200
    assert headers.get("Access-Control-Allow-Origin") is None  # "*" with CORS protection off
    assert "_streamlit_xsrf" in (headers.get("Set-Cookie") or "")
    assert _websocket_status(app_url, app_url) == 101
    assert _websocket_status(app_url, EVIL) != 101
    # an upload without the XSRF token is refused (with protection off it reaches the handler)
    status, _ = _http(
        f"{app_url}/_stcore/upload_file/some-session/some-file",
        method="PUT",
        headers={"Origin": EVIL, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert status == 403


def _outward_address() -> str | None:
    """This machine's address on its network (no packet is sent), or None without one."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))
        address = s.getsockname()[0]
        return None if address.startswith("127.") else address
    return None


def test_server_listens_on_localhost_only(app_url):
    port = int(app_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    address = _outward_address()
    if address is not None:  # a machine on a network: the app is not reachable there
        with pytest.raises(OSError), socket.create_connection((address, port), timeout=5):
            pass
