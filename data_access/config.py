"""Where the shared database is (DESIGN §8): DATABASE_URL, else secrets.toml, else the embedded file."""

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


def resolve_database(
    environ: dict[str, str] | None = None, secrets_file: Path = SECRETS_FILE
) -> DatabaseTarget:
    """The database URL in force and where it came from."""
    environ = dict(os.environ) if environ is None else environ
    if environ.get("DATABASE_URL"):
        return DatabaseTarget(environ["DATABASE_URL"], "env")
    if secrets_file.is_file():
        with secrets_file.open("rb") as handle:
            secrets = tomllib.load(handle)
        url = secrets.get("connections", {}).get("shared_db", {}).get("url")
        if url:
            return DatabaseTarget(str(url), "secrets")
    return DatabaseTarget(embedded_url(), "embedded")
