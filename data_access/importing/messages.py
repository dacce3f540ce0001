"""Problems found in import files, and their text in the UI language (assets/i18n, keys import.*)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

from data_access.settings import PROJECT_ROOT

CATALOG_DIR = PROJECT_ROOT / "assets" / "i18n"
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: file, row (as numbered in a spreadsheet, the header being 1),
    column (as written in the file), value; key names the message, params fill it in."""

    file: str
    key: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    params: dict[str, object] = field(default_factory=dict)

    def sort_key(self) -> tuple[str, int, str]:
        return (self.file, self.row or 0, self.column or "")


@lru_cache(maxsize=len(LANGUAGES))
def _catalog(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language: {language!r}")
    with (CATALOG_DIR / f"{language}.json").open(encoding="utf-8") as handle:
        return json.load(handle)


def text(language: str, key: str, **values: object) -> str:
    """The catalog text of key in language, placeholders filled; the key itself when missing."""
    template = _catalog(language).get(key, key)
    return template.format(**values) if values else template


def message(problem: Problem, language: str) -> str:
    """What is wrong, in words."""
    return text(language, f"import.{problem.key}", **problem.params)


def where(problem: Problem, language: str) -> str:
    """The place of a problem: file, row, column and value, as far as they are known."""
    parts = [problem.file]
    if problem.row is not None:
        parts.append(text(language, "import.at_row", row=problem.row))
    if problem.column is not None:
        parts.append(text(language, "import.at_column", column=problem.column))
    if problem.value is not None:
        parts.append(text(language, "import.at_value", value=problem.value))
    return text(language, "import.separator").join(parts)


def line(problem: Problem, language: str) -> str:
    """One line per problem, for the command line and the audit trail."""
    return text(
        language, "import.line", where=where(problem, language), message=message(problem, language)
    )
