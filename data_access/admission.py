"""The admission list (docs/admission.md): what is listed, how fast departments are answered, what
reached communities without admission. Pure functions of the frames that queries/admission.py reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import Engine

from data_access.dissolution import units_on
from data_access.models import ADMITTED_LISTS
from data_access.queries import admission as queries
from data_access.queries.hierarchy import units as all_units
from data_access.scope import Scope, add_months, level_of_code, month_end, month_start
from data_access.settings import Settings
from data_access.workdays import nth_working_day_after, working_days_between

SHOWN_LISTS = ("self_governance", "assisting", "certificate_abolished")
TIMINGS = ("on_time", "late", "pending", "overdue", "unknown")
UNIT_COLUMNS = [
    "code",
    "name",
    "communities",
    "found_items",
    "not_admitted",
    "not_admitted_items",
    "communities_with_not_admitted",
    "applications",
    "pending",
    "overdue",
    "decided_on_time",
    "decided_late",
    "on_time_share",
    "median_working_days",
    "worst_working_days",
]
UNIT_INTEGER_COLUMNS = set(UNIT_COLUMNS) - {"code", "name", "on_time_share", "median_working_days"}
# The columns of UNIT_COLUMNS that count applications: left out for a street or community account.
UNIT_APPLICATION_COLUMNS = UNIT_COLUMNS[UNIT_COLUMNS.index("applications") :]


@dataclass(frozen=True)
class AdmissionData:
    """Everything the page and the export read for one scope."""

    items: pd.DataFrame  # queries.ITEM_COLUMNS
    applications: pd.DataFrame  # queries.APPLICATION_COLUMNS + application_timing's columns
    found: pd.DataFrame  # queries.FOUND_COLUMNS + flag_found's columns
    found_since: dt.date


def found_window(scope: Scope, settings: Settings) -> dt.date:
    """The first month whose found items count: admission_found_months up to the as-of month."""
    return add_months(month_start(scope.as_of), 1 - settings.admission_found_months)


def sees_applications(account_scope: str | None) -> bool:
    """True for a city or district account (account_scope None or a district code).

    Applications go to a district or to the city, never to a street or community: they are the
    district's business, so a street or community account sees none of them (docs/admission.md).
    """
    return account_scope is None or level_of_code(account_scope) == "district"


def load(
    engine: Engine, scope: Scope, settings: Settings, applications: bool = True
) -> AdmissionData:
    """The scope's list, applications (none read when `applications` is False) and items found."""
    items = queries.work_items(engine)
    since = found_window(scope, settings)
    read = (
        queries.applications(engine, scope)
        if applications
        else pd.DataFrame({column: [] for column in queries.APPLICATION_COLUMNS}, dtype=object)
    )
    return AdmissionData(
        items,
        application_timing(read, scope.as_of, settings.admission_limit_working_days),
        flag_found(queries.items_found(engine, scope, since), items),
        since,
    )


def for_account(data: AdmissionData, account_scope: str | None) -> AdmissionData:
    """The data as an account sees them: without the applications for a street or community."""
    if sees_applications(account_scope):
        return data
    return replace(data, applications=data.applications.iloc[0:0])


# ---------------------------------------------------------------------------------------------
# The list


def listed_on(items: pd.DataFrame, day: dt.date) -> pd.Series:
    """Which items are on a list (any but `none`) on `day`: listed by then, not yet withdrawn."""
    admitted = items["admitted_on"].map(lambda d: d is not None and d <= day)
    not_withdrawn = items["withdrawn_on"].map(lambda d: d is None or d > day)
    return (items["list"] != "none") & admitted & not_withdrawn


def list_counts(items: pd.DataFrame, day: dt.date) -> pd.Series:
    """Items on each list on `day`, every list present (0 when empty)."""
    on = items[listed_on(items, day)]
    return on["list"].value_counts().reindex(list(SHOWN_LISTS), fill_value=0).astype(int)


def list_history(items: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """day, list, items: the lists at every year end from the first listing, and on the as-of date."""
    listed = [d for d in items["admitted_on"] if d is not None and d <= as_of]
    if not listed:
        return pd.DataFrame(columns=["day", "list", "items"])
    days = [dt.date(year, 12, 31) for year in range(min(listed).year, as_of.year)] + [as_of]
    rows = [
        {"day": day, "list": name, "items": int(count)}
        for day in days
        for name, count in list_counts(items, day).items()
    ]
    return pd.DataFrame(rows)


def list_changes(items: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """year, list, items_added, items_withdrawn: how each list changed each year up to the as-of date."""
    rows = []
    for _, item in items[items["list"] != "none"].iterrows():
        for column, change in (("admitted_on", "added"), ("withdrawn_on", "withdrawn")):
            day = item[column]
            if day is not None and day <= as_of:
                rows.append({"year": day.year, "list": item["list"], "change": change})
    columns = ["items_added", "items_withdrawn"]
    if not rows:
        return pd.DataFrame(columns=["year", "list", *columns])
    counted = pd.DataFrame(rows).pivot_table(
        index=["year", "list"], columns="change", aggfunc="size", fill_value=0
    )
    counted = counted.reindex(columns=["added", "withdrawn"], fill_value=0)
    counted = counted.set_axis(columns, axis=1).reset_index()
    counted.columns.name = None
    return counted.sort_values(["year", "list"], ignore_index=True)


def admitted_on_day(items: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Items admitted to communities on `day`: on the self-governance or assisting list."""
    return items[listed_on(items, day) & items["list"].isin(ADMITTED_LISTS)]


def unfunded(items: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Admitted items whose funding is not (or not known to be) provided (费随事转)."""
    admitted = admitted_on_day(items, day)
    return admitted[admitted["funded"] != "yes"].sort_values(["funded", "department", "code"])


# ---------------------------------------------------------------------------------------------
# Applications


def application_timing(applications: pd.DataFrame, as_of: dt.date, limit: int) -> pd.DataFrame:
    """Adds state (the decision as known on the as-of date), working_days, deadline and timing.

    working_days: from submission to the decision, or to the as-of date while pending; timing:
    on_time / late (decided within / after `limit` working days), pending / overdue (not decided,
    within / past the limit), unknown (a date in a year the holiday calendar does not know).
    """
    frame = applications.copy()
    decided = frame["decided_on"].map(lambda d: d is not None and d <= as_of)
    frame["state"] = frame["decision"].where(decided, "pending")
    ends = [
        decided_on if is_decided else as_of
        for decided_on, is_decided in zip(frame["decided_on"], decided, strict=True)
    ]
    days = [
        working_days_between(submitted, end)
        for submitted, end in zip(frame["submitted_on"], ends, strict=True)
    ]
    frame["working_days"] = pd.array(days, dtype="Int64")
    frame["deadline"] = [nth_working_day_after(d, limit) for d in frame["submitted_on"]]
    timing = []
    for count, is_decided in zip(days, decided, strict=True):
        if count is None:
            timing.append("unknown")
        elif is_decided:
            timing.append("on_time" if count <= limit else "late")
        else:
            timing.append("pending" if count <= limit else "overdue")
    frame["timing"] = timing
    return frame


SUMMARY_COLUMNS = [
    "applications",
    "pending",
    "overdue",
    "decided",
    "decided_on_time",
    "decided_late",
    "unknown",
    "admitted",
    "refused",
    "on_time_share",
    "median_working_days",
    "worst_working_days",
]


def timing_summary(frame: pd.DataFrame) -> pd.Series:
    """Counts, the on-time share, and the median and worst working days (docs/admission.md).

    The on-time share is on time / (on time + late + overdue): a pending application past the
    limit is late already, so a department with one is never at 100 %. The median is over
    decided applications; the worst also counts the wait of pending ones.
    """
    timing = frame["timing"]
    on_time, late = int((timing == "on_time").sum()), int((timing == "late").sum())
    overdue = int((timing == "overdue").sum())
    judged = on_time + late + overdue
    decided_days = frame.loc[timing.isin(["on_time", "late"]), "working_days"].astype(float)
    all_days = frame["working_days"].dropna().astype(float)
    return pd.Series(
        {
            "applications": len(frame),
            "pending": int(timing.isin(["pending", "overdue"]).sum()),
            "overdue": overdue,
            "decided": int((frame["state"] != "pending").sum()),
            "decided_on_time": on_time,
            "decided_late": late,
            "unknown": int((timing == "unknown").sum()),
            "admitted": int((frame["state"] == "admitted").sum()),
            "refused": int((frame["state"] == "refused").sum()),
            "on_time_share": on_time / judged if judged else float("nan"),
            "median_working_days": decided_days.median() if len(decided_days) else float("nan"),
            "worst_working_days": all_days.max() if len(all_days) else float("nan"),
        }
    )


def by_department(frame: pd.DataFrame) -> pd.DataFrame:
    """timing_summary per department: the slowest (late and overdue) first."""
    if frame.empty:
        return pd.DataFrame(columns=["department", *SUMMARY_COLUMNS])
    rows = [
        timing_summary(group).rename(department)
        for department, group in frame.groupby("department", sort=True)
    ]
    table = pd.DataFrame(rows).rename_axis("department").reset_index()
    table["behind"] = table["decided_late"] + table["overdue"]
    table = table.sort_values(["behind", "department"], ascending=[False, True], ignore_index=True)
    counts = [c for c in SUMMARY_COLUMNS if c not in ("on_time_share", "median_working_days")]
    table[counts] = table[counts].round().astype("Int64")
    return table[["department", *SUMMARY_COLUMNS]]


# ---------------------------------------------------------------------------------------------
# Items found in communities


def flag_found(found: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Adds item_name, list (None for an item on no list), admitted, and why it was not admitted.

    An item counts as admitted when it was on an admitted list at some time in the month found;
    else why_not is unlisted (no such code), cleared (list none), certificate (abolished),
    not_yet (admitted only after that month) or withdrawn.
    """
    frame = found.copy()
    by_code = {row["code"]: row for row in items.to_dict("records")}
    frame["item_name"] = [by_code[i]["name"] if i in by_code else i for i in frame["item"]]
    frame["list"] = pd.Series(
        [by_code[i]["list"] if i in by_code else None for i in frame["item"]],
        index=frame.index,
        dtype=object,
    )
    why = [
        _why_not(by_code.get(item), period)
        for item, period in zip(frame["item"], frame["period"], strict=True)
    ]
    frame["why_not"] = pd.Series(why, index=frame.index, dtype=object)
    frame["admitted"] = frame["why_not"].isna().astype(bool)
    return frame


def _why_not(item: dict | None, period: dt.date) -> str | None:
    if item is None:
        return "unlisted"
    if item["list"] == "none":
        return "cleared"
    if item["list"] == "certificate_abolished":
        return "certificate"
    if item["admitted_on"] is None or item["admitted_on"] > month_end(period):
        return "not_yet"
    if item["withdrawn_on"] is not None and item["withdrawn_on"] <= period:
        return "withdrawn"
    return None


def not_admitted(found: pd.DataFrame) -> pd.DataFrame:
    """The found items that were not admitted when found, the latest first."""
    return found[~found["admitted"]].sort_values(
        ["period", "community_code", "item"], ascending=[False, True, True], ignore_index=True
    )


def found_by_unit(found: pd.DataFrame, length: int) -> pd.DataFrame:
    """code, found_items, not_admitted, not_admitted_items, communities_with_not_admitted per unit."""
    frame = found.assign(code=found["community_code"].str[:length])
    missing = frame[~frame["admitted"]]
    counts = pd.DataFrame(
        {
            "found_items": frame.groupby("code").size(),
            "not_admitted": missing.groupby("code").size(),
            "not_admitted_items": missing.groupby("code")["item_name"].nunique(),
            "communities_with_not_admitted": missing.groupby("code")["community_code"].nunique(),
        }
    )
    return counts.fillna(0).astype(int).rename_axis("code").reset_index()


def admission_by_unit(
    data: AdmissionData, units: pd.DataFrame, level: str, scope: Scope
) -> pd.DataFrame:
    """UNIT_COLUMNS for every unit at `level` inside the scope (the page's table and the export).

    Application columns count the applications to the unit's own district (not the city's).
    """
    units = units_on(units, scope.as_of)  # the units in force on the as-of date
    inside = units["code"].str.startswith(scope.code or "")
    table = units.loc[inside & (units["level"] == level), ["code", "name"]].reset_index(drop=True)
    length = len(table["code"].iloc[0]) if len(table) else 0
    communities = units.loc[inside & (units["level"] == "community"), "code"]
    table["communities"] = [int(communities.str.startswith(code).sum()) for code in table["code"]]
    table = table.merge(found_by_unit(data.found, length), on="code", how="left")
    applications = data.applications
    summaries = {
        district: timing_summary(applications[applications["scope"] == district])
        for district in sorted({code[:6] for code in table["code"]})
    }
    for column, source in (
        ("applications", "applications"),
        ("pending", "pending"),
        ("overdue", "overdue"),
        ("decided_on_time", "decided_on_time"),
        ("decided_late", "decided_late"),
        ("on_time_share", "on_time_share"),
        ("median_working_days", "median_working_days"),
        ("worst_working_days", "worst_working_days"),
    ):
        table[column] = [summaries[code[:6]][source] for code in table["code"]]
    for column in UNIT_INTEGER_COLUMNS:
        table[column] = pd.to_numeric(table[column]).round().astype("Int64")
    counts = ["found_items", "not_admitted", "not_admitted_items", "communities_with_not_admitted"]
    table[counts] = table[counts].fillna(0)
    table["on_time_share"] = table["on_time_share"].astype(float)
    table["median_working_days"] = table["median_working_days"].astype(float)
    return table[UNIT_COLUMNS]


def admission_unit_table(
    engine: Engine, scope: Scope, level: str, settings: Settings, applications: bool = True
) -> pd.DataFrame:
    """admission_by_unit straight from the database: the rows of `python -m data_access export admission`;
    without the application columns when `applications` is False (a street or community account)."""
    table = admission_by_unit(
        load(engine, scope, settings, applications), all_units(engine), level, scope
    )
    return table if applications else without_application_columns(table)


def without_application_columns(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=[c for c in UNIT_APPLICATION_COLUMNS if c in table])
