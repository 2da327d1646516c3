"""Is sign-in on, off on purpose, or broken? Read from the secrets files Streamlit reads.

Streamlit treats a secrets file it cannot parse like no file at all (``st.secrets`` raises,
``Failed to load secrets`` goes to the log), and ``st.login`` fails only when someone presses
Sign in. So the app asks here before anything else, and fails closed: any secrets file that
cannot be read, or an ``[auth]`` section that cannot work, is a problem that stops every page.
The app runs open only when there is no secrets file, or one without ``[auth]`` (nor sign-in
keys written elsewhere).
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import streamlit as st
from streamlit import config as st_config
from streamlit.errors import StreamlitSecretNotFoundError

log = logging.getLogger("northstar.ui")

# The keys of Streamlit's default provider, which st.login() (no provider named) uses.
AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
OTHER_AUTH_KEYS = {"client_kwargs", "expose_tokens"}
MIN_COOKIE_SECRET = 32
RIGHT = {
    "redirect_uri": "this site's address followed by /oauth2callback, in double quotes, e.g. "
    '"https://northstar.example.com/oauth2callback"',
    "cookie_secret": f"a random string of at least {MIN_COOKIE_SECRET} characters, in double "
    'quotes (python -c "import secrets; print(secrets.token_hex(32))" prints one)',
    "client_id": "the application (client) id the identity provider gave North Star, in double quotes",
    "client_secret": "the client secret's value from the identity provider, in double quotes",
    "server_metadata_url": "the provider's OpenID Connect configuration address, in double "
    'quotes, e.g. "https://login.microsoftonline.com/<tenant id>/v2.0/.well-known/'
    'openid-configuration"',
}


@dataclass(frozen=True)
class Setup:
    """``on``: a complete ``[auth]`` section; ``problems``: why the app must not open."""

    on: bool
    problems: tuple[str, ...] = ()

    @property
    def open(self) -> bool:
        """No sign-in configured at all: the app runs open (and says so on every page)."""
        return not self.on and not self.problems


OPEN = Setup(on=False)
_logged: set[tuple[str, ...]] = set()


def setup() -> Setup:
    """What the secrets files say about sign-in (read on every run: a few small files)."""
    found, problems = _files()
    if not problems and found:
        try:
            secrets = st.secrets.to_dict()  # what st.login itself will read
        except StreamlitSecretNotFoundError as err:
            if getattr(err, "error_id", None) == "no-secrets-found":
                return OPEN
            problems, secrets = [_unloadable(err)], {}
        except Exception as err:  # noqa: BLE001 - any failure to read them fails closed
            problems, secrets = [_unloadable(err)], {}
        if not problems:
            problems = _auth_problems(secrets)
            if not problems:
                return Setup(on="auth" in secrets)
    if not problems:
        return OPEN
    key = tuple(problems)
    if key not in _logged:  # once per distinct problem, with the full paths
        _logged.add(key)
        log.error(
            "sign-in settings are broken, every page is closed (secrets files: %s): %s",
            ", ".join(_paths()),
            " | ".join(problems),
        )
    return Setup(on=False, problems=key)


def _paths() -> list[str]:
    return [str(p) for p in (st.get_option("secrets.files") or [])]


def _explicit() -> bool:
    """The secrets locations were set on purpose (STREAMLIT_SECRETS_FILES, a flag, config)."""
    try:
        return st_config.is_manually_set("secrets.files")
    except Exception:  # noqa: BLE001 - an older or newer Streamlit: treat as the defaults
        return False


def _files() -> tuple[bool, list[str]]:
    """Whether any secrets file or folder exists, and what is wrong with them."""
    found, problems = False, []
    for raw in _paths():
        path = Path(raw)
        name = _shown(path)
        if raw.endswith(".toml"):
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                if _explicit():
                    problems.append(
                        f"The secrets file {name} set for North Star does not exist. Create it, or "
                        "correct the path (secrets.files, STREAMLIT_SECRETS_FILES)."
                    )
                continue
            except (OSError, UnicodeDecodeError) as err:
                found = True
                problems.append(
                    f"{name} cannot be read ({type(err).__name__}): it must be a UTF-8 text file "
                    "the server's user may read."
                )
                continue
            found = True
            try:
                tomllib.loads(text)
            except tomllib.TOMLDecodeError as err:
                problems.append(
                    f"{name} is not valid TOML: {err}{_key_at(text, str(err))}. Each setting is "
                    'one line, key = value, with text in double quotes (client_id = "..."), '
                    "under its [section]."
                )
        elif path.is_dir():
            found = True
        else:
            problems.append(
                f"The secrets location {name} is neither a .toml file nor a folder of secrets."
            )
    return found, problems


def _auth_problems(secrets: Mapping) -> list[str]:
    auth = secrets.get("auth")
    if auth is None:
        stray = sorted(
            f"{key} (under [{section}])" if section else f"{key} (outside any section)"
            for section, table in [("", secrets), *secrets.items()]
            if isinstance(table, Mapping)
            for key in table
            if key in AUTH_KEYS
        )
        if stray:
            return [
                f"Sign-in keys are written outside an [auth] section: {', '.join(stray)}. They "
                "belong under a line [auth] (lower case), or remove them to run without sign-in."
            ]
        return []
    if not isinstance(auth, Mapping):
        return ["auth is a single value; it must be a section: a line [auth], then its keys."]
    problems = []
    missing = [k for k in AUTH_KEYS if k not in auth]
    for key in missing:
        problems.append(f"[auth] has no {key}: it needs {RIGHT[key]}.")
    for key in AUTH_KEYS:
        value = auth.get(key)
        if key in missing:
            continue
        if not isinstance(value, str):
            problems.append(f"[auth] {key} is not text: it must be {RIGHT[key]}.")
        elif not value.strip():
            problems.append(f"[auth] {key} is empty: it must be {RIGHT[key]}.")
        elif problem := _bad_value(key, value.strip()):
            problems.append(f"[auth] {key} {problem}: it must be {RIGHT[key]}.")
    if missing:
        unknown = sorted(
            k for k, v in auth.items() if k not in (*AUTH_KEYS, *OTHER_AUTH_KEYS) and not _table(v)
        )
        if unknown:
            problems.append(
                f"[auth] has keys North Star does not know: {', '.join(unknown)} (a typo?)."
            )
        if any(_table(v) for k, v in auth.items() if k not in OTHER_AUTH_KEYS):
            problems.append(
                "North Star signs in with the keys of [auth] itself; provider sections such as "
                "[auth.google] are not used."
            )
    return problems


def _bad_value(key: str, value: str) -> str:
    if key in ("redirect_uri", "server_metadata_url"):
        url = urlparse(value)
        if url.scheme not in ("http", "https") or not url.netloc:
            return "is not an http(s) address"
    if key == "redirect_uri" and not value.endswith("/oauth2callback"):
        return "does not end with /oauth2callback"
    if key == "cookie_secret" and len(value) < MIN_COOKIE_SECRET:
        return f"is shorter than {MIN_COOKIE_SECRET} characters (anyone could forge a sign-in)"
    return ""


def _key_at(text: str, error: str) -> str:
    """The key written on the line a TOML error names (never the line's value: a secret)."""
    at = re.search(r"at line (\d+)", error)
    lines = text.splitlines()
    if not at or not 0 < int(at.group(1)) <= len(lines):
        return ""
    key = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(=?)", lines[int(at.group(1)) - 1])
    if not key or not (key.group(2) or key.group(1) in (*AUTH_KEYS, *OTHER_AUTH_KEYS)):
        return ""  # not a key = value line: say nothing of what it holds
    return f", the line of {key.group(1)}"


def _table(value: object) -> bool:
    return isinstance(value, Mapping)


def _shown(path: Path) -> str:
    """The path as the page may show it: relative to the app's folder, else the file name only
    (no server path reaches a visitor; the log has the full one)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path.name


def _unloadable(err: Exception) -> str:
    """Streamlit's reason goes to the log only (it names server paths)."""
    log.error("Streamlit could not load the secrets: %s", err)
    return "Streamlit could not load the secrets files; the reason is in the server log."
