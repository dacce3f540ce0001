"""One community's profile (社区画像): the reads only it makes (its population history, roles,
hires and departures, facilities); its figures are in data_access/figures/profile.py."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from data_access.db import read_frame
from data_access.models import CommunityPopulation, Facility, StaffMember
from data_access.queries.staffing import active_on
from data_access.scope import Scope, add_months
from data_access.settings import Settings

HIRING_WINDOW_MONTHS = 12


def population_history(engine: Engine, code: str) -> pd.DataFrame:
    """year, resident_population, households of one community, oldest first."""
    statement = (
        select(
            CommunityPopulation.year,
            CommunityPopulation.resident_population,
            CommunityPopulation.households,
        )
        .where(CommunityPopulation.community_code == code)
        .order_by(CommunityPopulation.year)
    )
    return read_frame(engine, statement)


def role_counts(engine: Engine, scope: Scope) -> pd.DataFrame:
    """role, workers: everybody in post on the as-of date by role, counted or not."""
    statement = (
        select(StaffMember.role, func.count().label("workers"))
        .where(StaffMember.community_code == scope.code, active_on(scope))
        .group_by(StaffMember.role)
        .order_by(StaffMember.role)
    )
    return read_frame(engine, statement)


def hires_and_departures(
    engine: Engine, scope: Scope, settings: Settings, months: int = HIRING_WINDOW_MONTHS
) -> tuple[int, int]:
    """Counted workers who started, and who left, in the `months` months up to the as-of date."""
    since = add_months(scope.as_of.replace(day=1), 1 - months)
    counted = [
        StaffMember.community_code == scope.code,
        StaffMember.role.in_(settings.counted_roles),
    ]
    hires = select(func.count()).where(
        *counted, StaffMember.start_date >= since, StaffMember.start_date <= scope.as_of
    )
    # Somebody whose end date is on or before the as-of date is no longer in post then.
    leavers = select(func.count()).where(
        *counted, StaffMember.end_date >= since, StaffMember.end_date <= scope.as_of
    )
    with engine.connect() as connection:
        return int(connection.scalar(hires) or 0), int(connection.scalar(leavers) or 0)


def facilities(engine: Engine, code: str) -> pd.DataFrame:
    """code, name, kind, floor_area_m2 of the community's facilities."""
    statement = (
        select(Facility.code, Facility.name, Facility.kind, Facility.floor_area_m2)
        .where(Facility.community_code == code)
        .order_by(Facility.kind, Facility.code)
    )
    return read_frame(engine, statement)
