"""Where the shared database is (docs/architecture.md §5): DATABASE_URL, else secrets.toml, else the embedded file."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from data_access.settings import PROJECT_ROOT, SECRETS_FILE

EMBEDDED_DB_FILE = PROJECT_ROOT / "data" / "dashboard.sqlite3"


@dataclass(frozen=True)
class DatabaseTarget:
    url: str
    source: str  # "env", "secrets" or "embedded"

    @property
    def is_embedded(self) -> bool:
        return self.source == "embedded"


def embedded_url(path: Path = EMBEDDED_DB_FILE) -> str:
    return f"sqlite:///{path}"


def _shared_db_secrets(secrets_file: Path) -> dict[str, object]:
    if not secrets_file.is_file():
        return {}
    with secrets_file.open("rb") as handle:
        secrets = tomllib.load(handle)
    table = secrets.get("connections", {}).get("shared_db", {})
    return table if isinstance(table, dict) else {}


def resolve_database(
    environ: dict[str, str] | None = None, secrets_file: Path = SECRETS_FILE
) -> DatabaseTarget:
    """The database the dashboard reads (a SELECT-only user is enough) and where it came from."""
    environ = dict(os.environ) if environ is None else environ
    if environ.get("DATABASE_URL"):
        return DatabaseTarget(environ["DATABASE_URL"], "env")
    url = _shared_db_secrets(secrets_file).get("url")
    if url:
        return DatabaseTarget(str(url), "secrets")
    return DatabaseTarget(embedded_url(), "embedded")


def resolve_writer(
    environ: dict[str, str] | None = None, secrets_file: Path = SECRETS_FILE
) -> DatabaseTarget:
    """The database user that init, demo and import write with: DATABASE_WRITER_URL, else
    writer_url in secrets.toml, else the same URL as the dashboard reads."""
    environ = dict(os.environ) if environ is None else environ
    if environ.get("DATABASE_WRITER_URL"):
        return DatabaseTarget(environ["DATABASE_WRITER_URL"], "env")
    url = _shared_db_secrets(secrets_file).get("writer_url")
    if url and not environ.get("DATABASE_URL"):
        return DatabaseTarget(str(url), "secrets")
    return resolve_database(environ, secrets_file)
