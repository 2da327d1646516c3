"""Who is looking: sign-in (Streamlit's OpenID Connect), the access policy, kiosk links.

``gate()`` runs before any page: it returns the viewer, or shows the sign-in screen, the
"no access" page or a refused kiosk link and stops. ``viewer()`` is what ``ui.data`` scopes
every query with. With no secrets file (or one without ``[auth]``) the app runs open and says so;
a secrets file that does not parse or an incomplete ``[auth]`` closes every page (``ui.sign_in``).
Who signed in comes from verified claims only: the email when the provider does not say it is
unverified, else the provider's stable subject; the audit names everyone that one way.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import NoReturn

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from metrics.access import (
    OPEN,
    AccessError,
    Policy,
    Viewer,
    kiosk_viewer,
    load_policy,
    policy_path,
)
from metrics.errors import ConfigError
from present.format import escape_markdown
from state import audit, kiosk
from state.store import StateStore
from store.errors import StoreError
from store.warehouse import default_db_path
from ui import config, media_guard, sign_in
from ui.guard import logged_failure, show_config_error

log = logging.getLogger("northstar.ui")
_VIEWER = "_northstar_viewer"
_KIOSK = "_northstar_kiosk_token"
STATE_ERRORS = (StoreError, sqlite3.Error)  # the state file missing, locked or damaged


def auth_configured() -> bool:
    """True unless the app runs open on purpose (no secrets file, or no ``[auth]`` in it): sign-in
    is on, or its settings are broken and nothing opens."""
    return not sign_in.setup().open


@dataclass(frozen=True)
class Identity:
    """Who a signed-in token names, from its verified claims only. ``key`` is how the audit
    names them in every event: the email address, or ``issuer#subject`` without one."""

    key: str
    email: str  # "" when the token carries no email address
    name: str  # display only: a name the user may choose, never an identity
    refused: str = ""  # why this token cannot sign in at all


def identify(claims: Mapping[str, object]) -> Identity:
    """The identity of an OpenID Connect token's claims. An email the provider marks unverified
    (``email_verified: false``) is refused rather than trusted; with no email address the
    provider's stable subject (``sub`` with its issuer ``iss``) names the user."""
    sub = str(claims.get("sub") or "").strip()
    subject = f"{str(claims.get('iss') or '').strip()}#{sub}" if sub else ""
    email = str(claims.get("email") or "").strip().lower()
    name = str(claims.get("name") or "").strip()
    if email and _false(claims.get("email_verified")):
        why = f"your identity provider says the email address {email} is not verified"
        return Identity(key=subject, email="", name=name, refused=why)
    if email:
        return Identity(key=email, email=email, name=name)
    if not sub:
        why = "the sign-in carries neither an email address nor a subject (sub)"
        return Identity(key="", email="", name=name, refused=why)
    return Identity(key=subject, email="", name=name)


def _false(value: object) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def store() -> StateStore:
    return StateStore.beside(default_db_path())


@st.cache_resource(show_spinner=False, max_entries=4)
def _policy(path: str, stamp: str) -> Policy:
    return load_policy(path, config.catalog())


def policy() -> Policy:
    path = policy_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: no access policy; sign-in is on, so nobody can see anything until it exists"]
        ) from None
    return _policy(str(path), f"{stat.st_mtime_ns}-{stat.st_size}")


_WARMING = threading.local()


@contextmanager
def background() -> Iterator[None]:
    """Work outside any session (cache warming, tests): its queries run unscoped, so they fill only the
    cache entries of unscoped queries, which scoped viewers never read."""
    _WARMING.on = True
    try:
        yield
    finally:
        _WARMING.on = False


def carried(job: Callable[[], object]) -> Callable[[], object]:
    """``job`` for another thread, run as the calling session (or warming) still: a query
    run there is scoped to the same viewer."""
    ctx, warm = get_script_run_ctx(suppress_warning=True), getattr(_WARMING, "on", False)

    def run() -> object:
        if ctx is not None:
            add_script_run_ctx(threading.current_thread(), ctx)
        _WARMING.on = warm
        try:
            return job()
        finally:
            _WARMING.on = False

    return run


def viewer() -> Viewer:
    """The viewer of this session (set by ``gate``); the open viewer when sign-in is off.
    A query from a thread with neither a session nor ``warming`` is refused."""
    if getattr(_WARMING, "on", False):
        return OPEN
    if get_script_run_ctx(suppress_warning=True) is None:
        raise AccessError("a query ran outside any session; it is refused")
    found = st.session_state.get(_VIEWER)
    if found is not None and is_kiosk(found) and _kiosk_link(st.session_state.get(_KIOSK)) is None:
        raise AccessError(
            "this wall-screen link was revoked (or cannot be checked): it shows nothing"
        )
    if found is not None:
        return found
    if auth_configured():  # a page reached without the gate (or sign-in broken): nothing
        raise AccessError("not signed in")
    return OPEN


def gate() -> Viewer:
    """The viewer, or a screen that stops the run: broken sign-in settings, sign-in, no access,
    or a refused kiosk link (a valid kiosk link opens the wall screen only)."""
    setup = sign_in.setup()
    if setup.problems:  # before anything else, kiosk links included: nothing opens
        _misconfigured(setup.problems)
    token = st.query_params.get("kiosk")
    if token:
        return _kiosk(token)
    if setup.open:
        st.session_state[_VIEWER] = OPEN
        return OPEN
    if not st.user.is_logged_in:
        _sign_in_screen()
    who = identify(st.user.to_dict())
    if who.refused:
        _refused(who)
    try:
        pol = policy()
        groups = _groups(st.user.get(pol.spec.settings.group_claim))
        found = pol.viewer(who.email, groups)
    except ConfigError as err:
        show_config_error(err, what="The access policy and metric definitions")
        st.stop()
    except AccessError as err:
        _no_access(who.key, str(err))
    if found is None:
        _no_access(who.key, "the access policy grants this account nothing")
    # One identity in every audit event (``v.email``): the verified email, else issuer#subject.
    # The token's name, which its user may choose, is only shown (for grants by group).
    named = found.name not in ("", found.email)  # a name the policy gives
    found = replace(found, email=who.key, name=found.name if named else who.name or who.key)
    if st.session_state.get(_VIEWER) is None:  # no one gets in unrecorded
        try:
            audit.record(store(), email=found.email, event="sign-in", page="")
        except STATE_ERRORS:
            _unavailable("Recording your sign-in in the audit trail")
    st.session_state[_VIEWER] = found
    return found


def _groups(claim: object) -> tuple[str, ...]:
    if isinstance(claim, str):
        return (claim,)
    return tuple(str(g) for g in claim) if isinstance(claim, (list, tuple)) else ()


def _kiosk_link(token: str | None) -> kiosk.KioskLink | None:
    """The link a token opens, or None (revoked, tampered, or the state file unreadable)."""
    try:
        return kiosk.verify(store(), token) if token else None
    except STATE_ERRORS:
        log.exception("wall-screen link not checked")
        return None


def _kiosk(token: str) -> Viewer:
    try:
        link = kiosk.verify(store(), token)
    except STATE_ERRORS:
        _unavailable("Checking this wall-screen link")
    if link is None:
        st.session_state.pop(_VIEWER, None)
        st.title("This wall-screen link does not open anything")
        st.text(
            "The link is not valid: it was revoked, or it was copied incomplete. Ask whoever runs "
            "North Star for a new one (northstar kiosk create)."
        )
        st.stop()
    found = kiosk_viewer(link.label, link.scope)
    st.session_state[_VIEWER] = found
    st.session_state[_KIOSK] = token
    return found


def _unavailable(what: str) -> NoReturn:
    """The state file (audit trail, kiosk links) failed: a plain message with an error id, the
    details in the server log; nothing is shown unchecked or unrecorded."""
    error_id = logged_failure(what)
    st.session_state.pop(_VIEWER, None)
    st.title("North Star cannot open right now")
    st.text(
        f"{what} failed. Error id {error_id}: whoever runs North Star finds the details under "
        "this id in the server log."
    )
    st.stop()


def _sign_in_screen() -> None:
    st.session_state.pop(_VIEWER, None)
    st.title("North Star")
    st.write("Sign in with your company account to see the dashboard.")
    st.button("Sign in", type="primary", on_click=st.login, icon=":material/login:")
    st.stop()


def _misconfigured(problems: tuple[str, ...]) -> NoReturn:
    """Sign-in settings that cannot work: this message on every page, for everyone, and
    nothing else (no page, no data, no kiosk wall)."""
    st.session_state.pop(_VIEWER, None)
    st.title("North Star is closed: its sign-in settings are broken")
    st.text(
        "Sign-in is set up in the secrets file, but it cannot work, so North Star shows nothing "
        "to anyone until it is fixed:"
    )
    for problem in problems:
        st.text(f"- {problem}")
    st.text(
        "Whoever runs North Star: correct the secrets file and restart the server (README, "
        "'Sign-in and access'). To run without sign-in on purpose, remove the [auth] section."
    )
    st.stop()


def _shown(key: str) -> str:
    return key if "@" in key and "#" not in key else f"an account without an email address ({key})"


def _refused(who: Identity) -> NoReturn:
    """A token whose identity cannot be trusted: a plain refusal, recorded, with Sign out."""
    st.session_state.pop(_VIEWER, None)
    st.title("Sign-in refused")
    st.text(f"North Star cannot tell who you are: {who.refused}.")
    st.text(
        "Verify the address with your identity provider (or ask its administrator), then sign in "
        "again."
    )
    st.button("Sign out", on_click=st.logout, icon=":material/logout:")
    detail = {"why": who.refused}
    if email := str(st.user.get("email") or ""):  # what the token claimed, for the record
        detail["claimed email"] = email
    audit.record(store(), email=who.key, event="refused", page="", detail=detail)
    st.stop()


def _no_access(key: str, why: str, *, forget: bool = True) -> NoReturn:
    """``key``: the identity (see ``Identity``), which the audit entry names. ``forget``: drop a
    viewer this session had (a grant withdrawn since); kept when the sign-in itself stands."""
    if forget:
        st.session_state.pop(_VIEWER, None)
    st.title("No access yet")
    st.text(f"You are signed in as {_shown(key)}, but {why}.")
    st.write("Ask whoever runs North Star to add you to the access policy, then sign in again.")
    st.button("Sign out", on_click=st.logout, icon=":material/logout:")
    audit.record(store(), email=key, event="refused", page="", detail={"why": why})
    st.stop()


def user_bar(v: Viewer) -> None:
    """Who is signed in, with a sign-out button; or that access control is off."""
    with st.sidebar:
        if is_kiosk(v):
            return
        if not v.signed_in:
            st.caption(
                "Access control is off: anyone who can reach this server sees every number. "
                "See README, 'Sign-in and access', to turn it on."
            )
            return
        st.text(f"Signed in as {v.name}")
        st.caption(escape_markdown(_grants(v)))
        st.button("Sign out", on_click=st.logout, icon=":material/logout:")


def _grants(v: Viewer) -> str:
    """The viewer's roles by their labels, and the rows they see."""
    try:
        roles = policy().spec.roles
        labels = [roles[r].label or r if r in roles else r for r in v.roles]
    except ConfigError:
        labels = list(v.roles)
    rows = "; ".join(f"{dim} {', '.join(values)}" for dim, values in v.scope)
    return " · ".join(labels) + (f" · sees only {rows}" if rows else " · sees all rows")


def closed_page(v: Viewer, name: str, title: str) -> st.Page:
    """A hidden page at the address of a page ``v`` may not see: the wall again for a kiosk
    link, else a plain note (rather than Streamlit's "page not found" dialog)."""
    if is_kiosk(v):
        return st.Page("pages/wall.py", title=title, url_path=name, visibility="hidden")

    def closed() -> None:
        st.title(title)
        st.text("This page is not part of what your access grants; the pages you may see are")
        st.text("listed on the left. Ask whoever runs North Star if you need this one.")

    return st.Page(closed, title=title, url_path=name, visibility="hidden")


def is_kiosk(v: Viewer) -> bool:
    return v.roles == ("kiosk",)


def no_pages(v: Viewer) -> None:
    _no_access(v.email, "the access policy grants this account no page", forget=False)


def record_view(v: Viewer, page: str) -> None:
    """One audit entry per page and filters (the URL's) a session looks at, not one per rerun."""
    if not v.signed_in and not v.roles:  # access control is off: nobody to name
        return
    filters = {k: val for k, val in st.query_params.to_dict().items() if k != "kiosk"}
    key = (page, tuple(sorted(filters.items())))
    if st.session_state.get("_northstar_last_view") == key:
        return
    st.session_state["_northstar_last_view"] = key
    try:
        audit.record(store(), email=v.email or v.name, event="view", page=page, detail=filters)
    except STATE_ERRORS:  # the audit file cannot be written: say so in the log, keep serving
        log.exception("audit entry not written")


def audited_download(what: str, rows: int, make: Callable[[], str]) -> Callable[[], str]:
    """The ``data`` of a download button (with ``on_click="ignore"``): the file is made only
    when the button is clicked, over that session's connection, and audited then; nothing waits
    at a /media address before, and Streamlit drops it once the page has run on."""
    v, state = viewer(), store()
    page = st.session_state.get("_northstar_last_view", ("",))[0]
    token = st.context.cookies.get(media_guard.COOKIE)  # this browser's, for its /media address

    def made() -> str:
        text = make()
        media_guard.made(token, text.encode())  # the bytes Streamlit serves for a text file
        try:
            detail = {"file": what, "rows": rows}
            audit.record(state, email=v.email or v.name, event="download", page=page, detail=detail)
        except STATE_ERRORS:
            log.exception("audit entry not written")
        return text

    return made
