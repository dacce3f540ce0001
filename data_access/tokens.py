"""One-time report links: a short-lived, single-use token signed for one account and one view.

The report renderer opens the view in a browser session of its own, which has not signed in;
the token in its URL lets that session act as the account for that view only, once, for
`report_token_seconds` (docs/accounts.md). The key is DASHBOARD_REPORT_SECRET (or
`report_secret` in secrets.toml), else random per process: the renderer always asks the process
that made the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path

from data_access.settings import SECRETS_FILE

TOKEN_PARAM = "token"  # the URL parameter that carries a token
_PROCESS_KEY = secrets.token_bytes(32)
_USED: dict[str, float] = {}  # nonce → expiry
_LOCK = threading.Lock()


class TokenRefused(PermissionError):
    """A report token that is forged, expired, used before or for another view."""


def configured_secret(
    environ: Mapping[str, str] | None = None, secrets_file: Path = SECRETS_FILE
) -> str | None:
    """The shared key of every app process: DASHBOARD_REPORT_SECRET, else `report_secret` at the
    top of secrets.toml; None when neither is set."""
    environ = os.environ if environ is None else environ
    configured = environ.get("DASHBOARD_REPORT_SECRET")
    if not configured and secrets_file.is_file():
        with secrets_file.open("rb") as handle:
            configured = tomllib.load(handle).get("report_secret")
    return str(configured) if configured else None


def _key(environ: Mapping[str, str] | None = None, secrets_file: Path = SECRETS_FILE) -> bytes:
    configured = configured_secret(environ, secrets_file)
    return configured.encode() if configured else _PROCESS_KEY


def view_key(url_path: str, params: Mapping[str, str]) -> str:
    """The view a token is for: the page and its filters and language, in a fixed order."""
    kept = sorted((k, str(v)) for k, v in params.items() if v and k not in ("report", "token"))
    return url_path.strip("/") + "?" + "&".join(f"{k}={v}" for k, v in kept)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint(account: str, view: str, lifetime_s: int, key: bytes | None = None) -> str:
    """A token for account (its id or name) and view, valid lifetime_s seconds, usable once."""
    body = json.dumps(
        {"a": account, "v": view, "e": int(time.time()) + lifetime_s, "n": secrets.token_hex(12)},
        separators=(",", ":"),
    ).encode()
    signature = hmac.new(key or _key(), body, hashlib.sha256).digest()
    return _b64(body) + "." + _b64(signature)


def redeem(token: str, view: str, key: bytes | None = None) -> str:
    """The account the token was made for; TokenRefused unless genuine, fresh, unused and for view."""
    try:
        body_text, signature_text = token.split(".", 1)
        body, signature = _unb64(body_text), _unb64(signature_text)
    except ValueError as exc:
        raise TokenRefused("malformed") from exc
    expected = hmac.new(key or _key(), body, hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise TokenRefused("bad signature")
    claims = json.loads(body)
    moment = time.time()
    if claims["e"] < moment:
        raise TokenRefused("expired")
    if claims["v"] != view:
        raise TokenRefused("another view")
    with _LOCK:
        for nonce, expiry in list(_USED.items()):
            if expiry < moment:
                del _USED[nonce]
        if claims["n"] in _USED:
            raise TokenRefused("used before")
        _USED[claims["n"]] = claims["e"]
    return str(claims["a"])
