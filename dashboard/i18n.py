"""UI text: one catalog per language in assets/i18n, Simplified Chinese by default."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import streamlit as st

from data_access.catalog import LANGUAGES, load_catalog, translate
from data_access.settings import get_settings

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
__all__ = ["LANGUAGES", "load_catalog", "translate"]


def current_language() -> str:
    language = st.session_state.get("lang", get_settings().default_language)
    return language if language in LANGUAGES else "zh"


def t(key: str, **values: object) -> str:
    """The text of key in the language of this session."""
    return translate(current_language(), key, **values)


def labeller(prefix: str) -> Callable[[object], str]:
    """A format_func for widgets: the text of "<prefix>.<value>" in this session's language.

    The language is bound now, so the function gives the same text wherever it is called.
    """
    language = current_language()
    return lambda value: translate(language, f"{prefix}.{value}")


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_int(value: object) -> str:
    return "—" if is_missing(value) else f"{round(float(value)):,}"  # type: ignore[arg-type]


def fmt_decimal(value: object, digits: int = 1) -> str:
    return "—" if is_missing(value) else f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def fmt_pct(fraction: object, digits: int = 1) -> str:
    """A 0–1 fraction as a percentage."""
    return "—" if is_missing(fraction) else f"{float(fraction) * 100:.{digits}f}%"  # type: ignore[arg-type]


def fmt_month(month: dt.date, language: str | None = None) -> str:
    language = language or current_language()
    if language == "zh":
        return f"{month.year}年{month.month}月"
    return month.strftime("%b %Y")
