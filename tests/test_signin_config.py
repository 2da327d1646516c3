"""Sign-in settings fail closed, and identity comes from verified claims only.

A secrets file that does not parse, or an ``[auth]`` section that cannot work, used to read as
"no sign-in" (the app ran open, every row to anonymous visitors) or as a sign-in screen whose
button failed. Each broken text below must stop every page with one plain message: what is
wrong, which key, what it should be; no page, no data, no traceback, no server path.
(The same in a real browser, every address: tests/test_browser_access.py.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.runtime.secrets import secrets_singleton
from streamlit.testing.v1 import AppTest

from ui.access import identify

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard.py")
CLOSED = "North Star is closed: its sign-in settings are broken"

GOOD = {
    "redirect_uri": '"http://localhost:8501/oauth2callback"',
    "cookie_secret": '"a-long-random-string-for-the-tests-only"',
    "client_id": '"northstar-dashboard"',
    "client_secret": '"not-a-real-secret"',
    "server_metadata_url": '"https://login.example.com/.well-known/openid-configuration"',
}


def auth(**changes: str | None) -> str:
    """An ``[auth]`` section: GOOD with keys changed (None: left out)."""
    keys = {**GOOD, **changes}
    return "[auth]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items() if v is not None)


# (case, secrets.toml text, what the message must say)
BROKEN = [
    (
        "unquoted value",
        auth(client_id="northstar-dashboard"),
        ["not valid TOML", "line 4", "the line of client_id", 'client_id = "..."'],
    ),
    (
        "unclosed quote",
        auth(client_secret='"not-a-real-secret'),
        ["not valid TOML", "line 5", "the line of client_secret"],
    ),
    (
        "missing equals",
        auth().replace("client_id =", "client_id"),
        ["not valid TOML", "line 4", "the line of client_id"],
    ),
    ("duplicate key", auth() + 'client_id = "again"\n', ["not valid TOML"]),
    ("no client_id", auth(client_id=None), ["[auth] has no client_id", "client) id"]),
    ("empty cookie_secret", auth(cookie_secret='""'), ["[auth] cookie_secret is empty", "32"]),
    ("blank client_secret", auth(client_secret='"   "'), ["[auth] client_secret is empty"]),
    ("no redirect_uri", auth(redirect_uri=None), ["[auth] has no redirect_uri", "/oauth2callback"]),
    (
        "no server_metadata_url",
        auth(server_metadata_url=None),
        ["[auth] has no server_metadata_url", "openid-configuration"],
    ),
    ("client_id a number", auth(client_id="12345"), ["[auth] client_id is not text"]),
    ("short cookie_secret", auth(cookie_secret='"abc"'), ["cookie_secret is shorter than 32"]),
    (
        "redirect_uri elsewhere",
        auth(redirect_uri='"http://localhost:8501/callback"'),
        ["does not end with /oauth2callback"],
    ),
    ("empty [auth]", "[auth]\n", ["[auth] has no client_id", "[auth] has no cookie_secret"]),
    ("misspelt key", auth(client_id=None) + 'clientid = "x"\n', ["no client_id", "clientid"]),
    ("section in capitals", auth().replace("[auth]", "[Auth]"), ["client_id (under [Auth])"]),
    ("keys outside a section", auth().replace("[auth]\n", ""), ["outside any section"]),
]


@pytest.fixture
def secrets_files(monkeypatch):
    """Point Streamlit's ``secrets.files`` at given paths for one test (as
    ``STREAMLIT_SECRETS_FILES`` does for a server), then put back the defaults."""
    monkeypatch.chdir(ROOT)
    old, where = st_config.get_option("secrets.files"), st_config.get_where_defined("secrets.files")

    def use(*paths: Path) -> None:
        st_config.set_option("secrets.files", [str(p) for p in paths])
        secrets_singleton._reset()

    yield use
    st_config.set_option("secrets.files", old, where_defined=where)
    secrets_singleton._reset()


def open_app(db: Path, params: dict[str, str] | None = None) -> AppTest:
    os.environ["NORTHSTAR_DB"] = str(db)
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at.run()


def shown(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in [*at.title, *at.text, *at.markdown, *at.caption])


def shows_only_the_message(at: AppTest) -> str:
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == [CLOSED], shown(at)
    kinds = {node.type for node in at.main if not hasattr(node, "children")}
    assert kinds <= {"title", "text"}, kinds  # no table, chart, metric, button or link
    assert [node.type for node in at.sidebar] == ["sidebar"]  # nothing in the sidebar either
    text = shown(at)
    for word in ("Traceback", "Key Accounts", "OTIF", str(ROOT), "/tmp", "Sign in"):
        assert word not in text, (word, text)
    return text


@pytest.fixture(autouse=True)
def _db_env(monkeypatch):
    monkeypatch.setenv("NORTHSTAR_DB", "")  # open_app sets it; monkeypatch restores it


@pytest.mark.parametrize(("text", "says"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_secrets_close_every_page_with_a_plain_message(
    text, says, secrets_files, demo_db, tmp_path
):
    path = tmp_path / ".streamlit" / "secrets.toml"
    path.parent.mkdir()
    path.write_text(text)
    secrets_files(path)
    text = shows_only_the_message(open_app(demo_db))
    for phrase in says:
        assert phrase in text, (phrase, text)
    assert "secrets.toml" in text or "[auth]" in text or "Sign-in keys" in text


@pytest.mark.parametrize(
    "params",
    [{"kiosk": "0123abcd.0123456789abcdef"}, {"metric": "otif", "by": "portfolio"}],
    ids=["kiosk link", "deep link"],
)
def test_a_typo_closes_deep_links_and_kiosk_links_too(params, secrets_files, demo_db, tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text(auth(client_id="northstar-dashboard"))
    secrets_files(path)
    shows_only_the_message(open_app(demo_db, params))


def test_a_later_broken_file_closes_the_app_even_after_a_good_one(secrets_files, demo_db, tmp_path):
    good, bad = tmp_path / "a.toml", tmp_path / "b.toml"
    good.write_text(auth())
    bad.write_text('other = "x\n')
    secrets_files(good, bad)
    assert "b.toml is not valid TOML" in shows_only_the_message(open_app(demo_db))


def test_a_secrets_file_named_on_purpose_but_missing_closes_the_app(
    secrets_files, demo_db, tmp_path
):
    secrets_files(tmp_path / "nowhere" / "secrets.toml")
    assert "does not exist" in shows_only_the_message(open_app(demo_db))


def test_no_secrets_file_runs_open_and_says_so(demo_db, monkeypatch):
    """The README's first command on a fresh clone: no secrets file, the dashboard, the banner."""
    monkeypatch.chdir(ROOT)
    assert not st_config.is_manually_set("secrets.files")
    assert not any(Path(p).exists() for p in st_config.get_option("secrets.files"))
    at = open_app(demo_db)
    assert not at.exception, at.exception
    assert CLOSED not in shown(at)
    assert "Access control is off" in "\n".join(str(c.value) for c in at.sidebar.caption)


def test_secrets_without_auth_run_open(secrets_files, demo_db, tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text('[database]\npassword = "something else"\n')
    secrets_files(path)
    at = open_app(demo_db)
    assert not at.exception, at.exception
    assert CLOSED not in shown(at)
    assert "Access control is off" in "\n".join(str(c.value) for c in at.sidebar.caption)


def test_complete_auth_asks_to_sign_in(secrets_files, demo_db, tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text(auth())
    secrets_files(path)
    at = open_app(demo_db)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["North Star"]
    assert [b.label for b in at.button] == ["Sign in"]


# ---- identity from verified claims only ------------------------------------------------------

ISS = "https://login.example.com/tenant/v2.0"

# (case, claims, audit identity, email the policy is asked about, refused?)
CLAIMS = [
    ("verified email", {"sub": "u1", "iss": ISS, "email": "Coo@Northstar.Example",
     "email_verified": True}, "coo@northstar.example", "coo@northstar.example", False),
    ("no email_verified claim (Entra)", {"sub": "u1", "iss": ISS, "email": "coo@northstar.example"},
     "coo@northstar.example", "coo@northstar.example", False),
    ("email_verified false", {"sub": "u1", "iss": ISS, "email": "coo@northstar.example",
     "email_verified": False, "name": "Chief Operating Officer"}, f"{ISS}#u1", "", True),
    ("email_verified 'false' (a string)", {"sub": "u1", "iss": ISS, "email": "coo@northstar.example",
     "email_verified": "false"}, f"{ISS}#u1", "", True),
    ("no email: the subject", {"sub": "u2", "iss": ISS, "name": "Chief Operating Officer"},
     f"{ISS}#u2", "", False),
    ("neither email nor subject", {"iss": ISS, "name": "Anyone"}, "", "", True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("claims", "key", "email", "refused"), [c[1:] for c in CLAIMS], ids=[c[0] for c in CLAIMS]
)
def test_identity_comes_from_verified_claims_only(claims, key, email, refused):
    who = identify(claims)
    assert (who.key, who.email, bool(who.refused)) == (key, email, refused)
    assert claims.get("name", "\0") not in who.key  # a chosen display name never identifies
