"""The admission list (docs/admission.md): work items, applications and items found, as read."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, or_, select

from data_access.db import read_frame
from data_access.models import AdmissionApplication, ItemFound, WorkItem
from data_access.scope import Scope
from data_access.sql import in_scope

ITEM_COLUMNS = [
    "code",
    "name",
    "list",
    "department",
    "basis",
    "admitted_on",
    "withdrawn_on",
    "funded",
]
APPLICATION_COLUMNS = [
    "id",
    "item_name",
    "department",
    "scope",
    "submitted_on",
    "decided_on",
    "decision",
    "reason",
]
FOUND_COLUMNS = ["community_code", "period", "item", "source"]


def _dates(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Date columns as datetime.date or None, whatever the driver returned."""
    for column in columns:
        frame[column] = [
            None if pd.isna(value) else pd.Timestamp(value).date() for value in frame[column]
        ]
    return frame


def work_items(engine: Engine) -> pd.DataFrame:
    """Every work item of the list, by code (the list is one for the whole city)."""
    statement = select(
        WorkItem.code,
        WorkItem.name,
        WorkItem.list_name.label("list"),
        WorkItem.department,
        WorkItem.basis,
        WorkItem.admitted_on,
        WorkItem.withdrawn_on,
        WorkItem.funded,
    ).order_by(WorkItem.code)
    frame = read_frame(engine, statement)
    return _dates(frame[ITEM_COLUMNS], ["admitted_on", "withdrawn_on"])


def applications(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Applications submitted up to the as-of date to the city or to the scope's district."""
    statement = select(*(AdmissionApplication.__table__.c[c] for c in APPLICATION_COLUMNS)).where(
        AdmissionApplication.submitted_on <= scope.as_of
    )
    if scope.code is not None:
        district = scope.code[:6]
        statement = statement.where(
            or_(AdmissionApplication.scope.is_(None), AdmissionApplication.scope == district)
        )
    frame = read_frame(engine, statement.order_by(AdmissionApplication.id))
    return _dates(frame[APPLICATION_COLUMNS], ["submitted_on", "decided_on"])


def items_found(engine: Engine, scope: Scope, since: dt.date) -> pd.DataFrame:
    """Items found in the scope's communities in the months from `since` to the as-of date."""
    statement = (
        select(ItemFound.community_code, ItemFound.period, ItemFound.item, ItemFound.source)
        .where(
            in_scope(ItemFound.community_code, scope),
            ItemFound.period >= since,
            ItemFound.period <= scope.as_of,
        )
        .order_by(ItemFound.community_code, ItemFound.period, ItemFound.item)
    )
    frame = read_frame(engine, statement)
    return _dates(frame[FOUND_COLUMNS], ["period"])
