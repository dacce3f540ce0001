"""Problems found in import files, and their text in the UI language (assets/i18n, keys import.*)."""

from __future__ import annotations

from dataclasses import dataclass, field

from data_access.catalog import translate


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


def text(language: str, key: str, **values: object) -> str:
    """The catalog text of key in language, placeholders filled; the key itself when missing."""
    return translate(language, key, **values)


def message(problem: Problem, language: str) -> str:
    """What is wrong, in words; the count of a kind left out names that kind's message."""
    if problem.key == "more":
        first = problem.params.get("first")
        what = text(
            language,
            f"import.{problem.params.get('key')}",
            **(first if isinstance(first, dict) else {}),
        )
        return text(language, "import.more", n=problem.params.get("n"), what=what)
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
