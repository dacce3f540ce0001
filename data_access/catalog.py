"""The text catalogs of assets/i18n, one per language; shared by the app and the command line."""

from __future__ import annotations

import json
from functools import lru_cache, partial
from typing import Protocol

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


class Text(Protocol):
    """The text of a catalog key with its {placeholders} filled: what figure and map builders take.

    Pages pass dashboard.i18n.t (the session's language); tests and tools pass text_in(language).
    """

    def __call__(self, key: str, /, **values: object) -> str: ...


def text_in(language: str) -> Text:
    """The catalog of one language as a Text."""
    return partial(translate, language)


def translate(language: str, key: str, /, **values: object) -> str:
    """The text of key in language, with {placeholders} filled; the key itself if missing."""
    text = load_catalog(language).get(key, key)
    return text.format(**values) if values else text
