"""A made download answers only a browser whose session made it.

Streamlit serves a file a download button made (a CSV) at ``/media/<id>`` to anyone who has
the address, for as long as it keeps the file; and two sessions making the same bytes under
the same name share one address. This ASGI middleware gives every browser a random token in
a cookie (HttpOnly, SameSite=Strict) with its first page; a session that makes a file records
the file's digest under its browser's token (``made``); a request for a made file is answered
only when its token made those very bytes (checked on the response itself), else 404. A
copied link, or a request without the cookie, gets nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from http.cookies import CookieError, SimpleCookie

from ui.base_url import ASGIApp, Message, Receive, Scope, Send

COOKIE = "northstar_media"
KEEP = 10_000  # tokens and addresses remembered (the oldest forgotten first)
_made: OrderedDict[str, set[str]] = OrderedDict()  # token -> digests of the files it made


def made(token: str | None, data: bytes) -> None:
    """Record that the browser holding ``token`` made a file of these bytes."""
    if token:
        _made.setdefault(token, set()).add(hashlib.sha256(data).hexdigest())
        _made.move_to_end(token)
        while len(_made) > KEEP:
            _made.popitem(last=False)


def token_of(scope: Scope) -> str | None:
    """The request's media token, if its cookies carry one."""
    for name, value in scope.get("headers") or ():
        if name == b"cookie":
            try:
                jar = SimpleCookie(value.decode("latin-1"))
            except CookieError:
                return None
            if COOKIE in jar and jar[COOKIE].value:
                return jar[COOKIE].value
    return None


def _is_media(path: str) -> bool:
    """Streamlit's made files (``[base]/media/<file>``), not its own static files (fonts under
    ``/static/media/``) or a component's."""
    return "/media/" in path and "/static/" not in path and "/component/" not in path


class MediaGuard:
    """ASGI middleware: a made file answers the browsers whose sessions made it, only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.owners: OrderedDict[str, set[str]] = OrderedDict()  # address -> tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        token = token_of(scope)
        path = scope.get("path") or ""
        if _is_media(path):
            await self._media(scope, receive, send, token, path)
        elif token is not None:
            await self.app(scope, receive, send)
        else:
            await self.app(scope, receive, _with_cookie(send))

    async def _media(
        self, scope: Scope, receive: Receive, send: Send, token: str | None, path: str
    ) -> None:
        if token is None:
            await _not_found(send)
            return
        if token in self.owners.get(path, ()):
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        # asked for uncompressed, so the bytes checked are the bytes the session made
        plain = [(k, v) for k, v in scope.get("headers") or () if k != b"accept-encoding"]
        await self.app({**scope, "headers": plain}, receive, hold)
        body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        start = next((m for m in held if m["type"] == "http.response.start"), None)
        ok = start is not None and start.get("status") == 200
        if not ok or hashlib.sha256(body).hexdigest() not in _made.get(token, ()):
            await _not_found(send)
            return
        self.owners.setdefault(path, set()).add(token)
        self.owners.move_to_end(path)
        while len(self.owners) > KEEP:
            self.owners.popitem(last=False)
        for message in held:
            await send(message)


def _with_cookie(send: Send) -> Send:
    """``send`` that gives the response a new browser token."""
    cookie = f"{COOKIE}={secrets.token_urlsafe(24)}; Path=/; HttpOnly; SameSite=Strict".encode()

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), (b"set-cookie", cookie)]}
        await send(message)

    return sending


async def _not_found(send: Send) -> None:
    body = b"Not found: this file belongs to the browser session that made it.\n"
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
