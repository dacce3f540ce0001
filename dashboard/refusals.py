"""A refusal (a scope or a role the account lacks) shown as one sentence, never as a traceback.

app.py runs every page inside `refusals_shown()`, so a page inherits it. A fragment reruns on its
own, outside app.py, and Streamlit would print a refusal raised there with its traceback: a page
makes its fragments with `fragment()` here instead of `st.fragment` (docs/accounts.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from dashboard.auth import NotSignedIn
from dashboard.database import database_failed
from dashboard.i18n import t
from data_access.access import RoleRefused, ScopeRefused

REFUSALS = (ScopeRefused, RoleRefused, NotSignedIn)
ICON = ":material/block:"


def refusal_text(refusal: BaseException) -> str:
    """The sentence for a refusal in the UI language: it names no data, code or path."""
    if isinstance(refusal, RoleRefused):
        return t("auth.role_refused")
    return t("auth.refused")


def show_refusal(refusal: BaseException) -> None:
    st.error(refusal_text(refusal), icon=ICON)


@contextmanager
def refusals_shown() -> Iterator[None]:
    """Runs the block; a refusal raised in it ends the block and is shown as one sentence."""
    try:
        yield
    except REFUSALS as refusal:
        show_refusal(refusal)


def fragment(
    function: Callable[..., None], *, run_every: float | timedelta | None = None
) -> Callable[..., None]:
    """st.fragment(function), whose refusals, in its own reruns too, are one sentence."""

    @functools.wraps(function)
    def shown(*args: Any, **kwargs: Any) -> None:
        try:
            with refusals_shown():
                function(*args, **kwargs)
        except SQLAlchemyError as exc:
            # The outage message of app.py's run, without its wait: the fragment reruns itself.
            database_failed(exc, wait=False)

    return st.fragment(shown, run_every=run_every)
