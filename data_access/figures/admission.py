"""Admission figures (docs/admission.md): the list, the applications and the items found of a
scope, as the Admission page, the wall screen and `export admission` read them."""

from __future__ import annotations

from sqlalchemy import Engine

from data_access import admission
from data_access.figures.registry import figure
from data_access.scope import Scope
from data_access.settings import Settings


@figure
def admission_data(engine: Engine, scope: Scope, settings: Settings) -> admission.AdmissionData:
    """admission.py:load of the scope: the work items, applications and items found."""
    return admission.load(engine, scope, settings)
