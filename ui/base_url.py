"""Tell the browser where the app's server root is, so deep links probe no wrong health check.

Streamlit's page cannot know the server's base path, so on a deep link such as
``/sop-wall`` it first tries ``/sop-wall/_stcore/health`` (and ``host-config``),
gets a 404, then falls back to ``/_stcore/health``. Every page but ``/`` logged
two 404s on load, and a monitor following a deep link read the app as down. This
ASGI middleware writes the root into the page (``window.__streamlit.BACKEND_BASE_URL``,
which the frontend reads before probing), so it asks the right address first.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_NOT_PAGES = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/")
_DROPPED_REQUEST_HEADERS = {b"accept-encoding", b"if-none-match", b"if-modified-since"}


def hint(base_path: str) -> bytes:
    """The script that names the server root, for a base path such as '' or '/northstar'."""
    base = "/" + base_path.strip("/") if base_path.strip("/") else ""
    return (
        "<script>window.__streamlit=Object.assign({},window.__streamlit,"
        f"{{BACKEND_BASE_URL:location.origin+{json.dumps(base + '/')}}});</script>"
    ).encode()


class BaseUrlHint:
    """ASGI middleware: add ``hint`` to the app's HTML page; everything else passes untouched."""

    def __init__(self, app: ASGIApp, base_path: str | Callable[[], str] = "") -> None:
        self.app = app
        self.base_path = base_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope.get("method") != "GET"
            or any(p in path for p in _NOT_PAGES)
            or "." in path.rsplit("/", 1)[-1]  # a file (favicon.png, manifest.json, ...)
        ):
            await self.app(scope, receive, send)
            return
        # Ask for the page uncompressed and in full, so it can be edited.
        scope = dict(scope)
        scope["headers"] = [
            (k, v) for k, v in scope.get("headers", []) if k.lower() not in _DROPPED_REQUEST_HEADERS
        ]
        start: Message | None = None
        body = bytearray()

        async def edit(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if not headers.get(b"content-type", b"").startswith(b"text/html"):
                    start = None
                    await send(message)
                    return
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            base = self.base_path() if callable(self.base_path) else self.base_path
            page = bytes(body).replace(b"<head>", b"<head>" + hint(base), 1)
            headers = [
                (k, v)
                for k, v in start.get("headers", [])
                if k.lower() not in (b"content-length", b"etag")
            ]
            headers.append((b"content-length", str(len(page)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, edit)
