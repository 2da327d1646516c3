"""A made download answers only a browser whose session made it (ui/media_guard.py), through
the ASGI middleware the dashboard's server runs (the browser test downloads for real)."""

from __future__ import annotations

from tests.test_page_truths import call, inner_app
from ui import media_guard
from ui.media_guard import COOKIE, MediaGuard

FILE = b"a,b\n1,2\n"
MEDIA = "/media/0a1b2c.csv"


def guard(body: bytes = FILE) -> MediaGuard:
    return MediaGuard(inner_app(b"text/csv", body, []))


def cookie(token: str) -> list[tuple[bytes, bytes]]:
    return [(b"cookie", f"other=1; {COOKIE}={token}".encode())]


def test_a_first_page_gets_a_private_token_and_a_page_with_one_keeps_it():
    start, _, _ = call(guard(), "/explore", [])
    set_cookie = dict(start["headers"])[b"set-cookie"].decode()
    assert set_cookie.startswith(f"{COOKIE}=") and "HttpOnly" in set_cookie
    assert "SameSite=Strict" in set_cookie and len(set_cookie.split(";")[0]) > 30
    again, _, _ = call(guard(), "/explore", cookie("t1"))
    assert b"set-cookie" not in dict(again["headers"])


def test_a_made_file_answers_the_browsers_that_made_it_only():
    g = guard()
    media_guard.made("mine", FILE)
    first, body, _ = call(g, MEDIA, cookie("mine"))
    assert first["status"] == 200 and body == FILE
    assert call(g, MEDIA, cookie("mine"))[0]["status"] == 200  # a second click
    assert call(g, MEDIA, cookie("theirs"))[0]["status"] == 404  # a copied link
    assert call(g, MEDIA, [])[0]["status"] == 404  # no cookie: curl, a mail client
    media_guard.made("theirs", FILE)  # the same bytes made in their own session: one address
    assert call(g, MEDIA, cookie("theirs"))[0]["status"] == 200


def test_making_one_file_opens_no_other():
    media_guard.made("maker", b"something else")
    assert call(guard(), MEDIA, cookie("maker"))[0]["status"] == 404
    assert call(guard(), "/northstar/media/x.csv", [])[0]["status"] == 404  # under a base path


def test_streamlit_s_own_static_files_are_not_made_files():
    """Fonts live under /static/media/: every browser fetches them, with or without a token."""
    g = guard()
    for path in ("/static/media/font.woff2", "/northstar/static/media/font.woff2"):
        assert call(g, path, cookie("one"))[0]["status"] == 200
        assert call(g, path, cookie("two"))[0]["status"] == 200
        assert call(g, path, [])[0]["status"] == 200


def test_a_broken_cookie_header_is_no_token():
    media_guard.made("x", FILE)
    assert call(guard(), MEDIA, [(b"cookie", b'\x7f"; =;')])[0]["status"] == 404


def test_the_bytes_checked_are_the_bytes_made_whatever_the_browser_accepts():
    """Streamlit compresses a text file for a browser that accepts gzip: the guard asks for
    the file uncompressed, so it compares the bytes the session made."""
    import gzip

    async def app(scope, receive, send):
        zipped = (b"accept-encoding", b"gzip") in scope["headers"]
        body = gzip.compress(FILE) if zipped else FILE
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    media_guard.made("zip", FILE)
    got = call(MediaGuard(app), MEDIA, [*cookie("zip"), (b"accept-encoding", b"gzip")])
    assert got[0]["status"] == 200 and got[1] == FILE
