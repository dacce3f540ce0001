"""One-time report links: a short-lived, single-use token signed for one account and one view.

The report renderer opens the view in a browser session of its own, which has not signed in;
the token in its URL lets that session act as the account for that view only, once, for
`report_token_seconds` (docs/accounts.md). The token is signed with itsdangerous (HMAC-SHA256
under a salt of its own). The key is DASHBOARD_REPORT_SECRET (or `report_secret` in
secrets.toml), else random per process: the renderer always asks the process that made the
token. Its nonce is written to the table used_token when it is used, so that no app process on
the same database accepts it again.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path

from itsdangerous import BadPayload, BadSignature, URLSafeSerializer
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from data_access.access import now
from data_access.models import Base
from data_access.settings import SECRETS_FILE

TOKEN_PARAM = "token"  # the URL parameter that carries a token
_PROCESS_KEY = secrets.token_bytes(32)
_SALT = "dashboard.report-link"
_USED = Base.metadata.tables["used_token"]


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


def _serializer(key: bytes | None) -> URLSafeSerializer:
    return URLSafeSerializer(key or _key(), salt=_SALT)


def view_key(url_path: str, params: Mapping[str, str]) -> str:
    """The view a token is for: the page and its filters and language, in a fixed order."""
    kept = sorted((k, str(v)) for k, v in params.items() if v and k not in ("report", "token"))
    return url_path.strip("/") + "?" + "&".join(f"{k}={v}" for k, v in kept)


def mint(account: str, view: str, lifetime_s: int, key: bytes | None = None) -> str:
    """A token for account (its id or name) and view, valid lifetime_s seconds, usable once."""
    claims = {
        "a": account,
        "v": view,
        "e": int(time.time()) + lifetime_s,
        "n": secrets.token_hex(12),
    }
    return str(_serializer(key).dumps(claims))


def redeem(engine: Engine, token: str, view: str, key: bytes | None = None) -> str:
    """The account the token was made for; TokenRefused unless genuine, fresh, for view and
    unused by every process on engine's database (its nonce is recorded there now)."""
    if not isinstance(token, str) or "." not in token or len(token) > 2048:
        raise TokenRefused("malformed")
    try:
        claims = _serializer(key).loads(token)
    except BadPayload as exc:
        raise TokenRefused("malformed") from exc
    except BadSignature as exc:
        raise TokenRefused("bad signature") from exc
    try:
        account, claimed_view, expiry, nonce = (claims[k] for k in ("a", "v", "e", "n"))
    except (TypeError, KeyError) as exc:
        raise TokenRefused("malformed") from exc
    if not isinstance(expiry, int) or expiry < time.time():
        raise TokenRefused("expired")
    if claimed_view != view:
        raise TokenRefused("another view")
    _spend(engine, str(nonce), dt.datetime.fromtimestamp(expiry, dt.UTC).replace(tzinfo=None))
    return str(account)


def _spend(engine: Engine, nonce: str, expires_at: dt.datetime) -> None:
    """Records the nonce; TokenRefused when any process recorded it before. The primary key
    makes the insert the atomic check; rows of expired tokens are deleted on the way."""
    try:
        with engine.begin() as connection:
            connection.execute(_USED.delete().where(_USED.c.expires_at < now()))
            connection.execute(_USED.insert(), [{"nonce": nonce[:32], "expires_at": expires_at}])
    except IntegrityError as exc:
        raise TokenRefused("used before") from exc
