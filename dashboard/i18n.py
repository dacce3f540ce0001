"""UI text: one catalog per language in assets/i18n, Simplified Chinese by default."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st

from dashboard import formatting
from data_access.catalog import LANGUAGES, Text, load_catalog, text_in, translate
from data_access.settings import get_settings

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
__all__ = ["LANGUAGES", "Text", "is_missing", "load_catalog", "text_in", "translate"]
is_missing = formatting.is_missing


def current_language() -> str:
    language = st.session_state.get("lang", get_settings().default_language)
    return language if language in LANGUAGES else "zh"


def t(key: str, /, **values: object) -> str:
    """The text of key in the language of this session."""
    return translate(current_language(), key, **values)


def labeller(prefix: str) -> Callable[[object], str]:
    """A format_func for widgets: the text of "<prefix>.<value>" in this session's language.

    The language is bound now, so the function gives the same text wherever it is called.
    """
    text = text_in(current_language())
    return lambda value: text(f"{prefix}.{value}")


def fmt_int(value: object) -> str:
    """A count in this session's language: 384.9万 in Chinese (see dashboard.formatting)."""
    return formatting.count(value, current_language())


def fmt_exact(value: object) -> str:
    """A count in full, for help texts beside a count written in 万: 3,849,008."""
    return formatting.integer(value)


def fmt_decimal(value: object, digits: int = 1) -> str:
    return formatting.decimal(value, digits)


def fmt_pct(fraction: object, digits: int = 1) -> str:
    """A 0–1 fraction as a percentage."""
    return formatting.percent(fraction, digits)


def fmt_month(month: dt.date, language: str | None = None) -> str:
    return formatting.month(month, language or current_language())


def fmt_day(day: dt.date, language: str | None = None) -> str:
    """A date as words: 2026年10月31日 or 31 Oct 2026."""
    return formatting.day(day, language or current_language())


def fmt_time(moment: dt.datetime) -> str:
    """A moment in the configured time zone, in this session's language."""
    return formatting.timestamp(moment, current_language(), get_settings().time_zone)
