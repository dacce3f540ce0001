"""The text catalogs of assets/i18n, one per language; shared by the app and the command line."""

from __future__ import annotations

import json
from functools import lru_cache

from data_access.settings import PROJECT_ROOT

CATALOG_DIR = PROJECT_ROOT / "assets" / "i18n"
LANGUAGES = ("zh", "en")


@lru_cache(maxsize=len(LANGUAGES))
def load_catalog(language: str) -> dict[str, str]:
    """The catalog of one language; ValueError for a language the app does not speak."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language: {language!r}")
    with (CATALOG_DIR / f"{language}.json").open(encoding="utf-8") as handle:
        return json.load(handle)


def translate(language: str, key: str, **values: object) -> str:
    """The text of key in language, with {placeholders} filled; the key itself if missing."""
    text = load_catalog(language).get(key, key)
    return text.format(**values) if values else text
