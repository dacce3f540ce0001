"""The staffing plan as files: the rules compared and the allocation, in the reader's language.

The CSV holds every community of the plan (UTF-8 with BOM, as every CSV of the app); the
workbook the rules compared, the allocation at the chart's level and every community, with the
plan's assumptions on the filters sheet. The one-page briefing is the planner page itself in
report mode with `plan_brief=1` (pages/planner.py), drawn by dashboard/report.py:pdf_button.

The files are written when a button is clicked, outside the page's run, where the session's
language is not known: each builder takes the page's `text` (data_access.catalog.text_in of
the session's language, bound during the run).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from dashboard.export import SheetTable, workbook_bytes
from data_access.catalog import Text
from data_access.files import csv_bytes
from data_access.planner import PlanOptions, RuleComparison
from data_access.scope import LEVELS

BRIEF_PARAM = "plan_brief"
COMPARISON_COLUMNS = [
    "rule", "recommended", "communities_meeting", "communities_assessed", "gap_after",
    "one_short", "per_10k", "receiving",
]  # fmt: skip


def columns_for(
    frame: pd.DataFrame, options: PlanOptions, scope_level: str = "city"
) -> pd.DataFrame:
    """The columns that say something for these assumptions and, on the page, this scope (not
    the name of the district on every row of a district); the files keep every name."""
    hidden = {"population_plan"} if not options.growth else set()
    if not options.departures:
        hidden.add("departures")
    for level in ("district", "street"):
        if scope_level != "city" and LEVELS.index(level) <= LEVELS.index(scope_level):
            hidden.add(f"{level}_name")
    return frame[[column for column in frame.columns if column not in hidden]]


def comparison_frame(comparison: RuleComparison, t: Text) -> pd.DataFrame:
    """The rules compared with their names in the reader's language, recommended first."""
    frame = comparison.frame()[COMPARISON_COLUMNS]
    return frame.assign(
        rule=frame["rule"].map(lambda rule: t(f"planner.rule.{rule}")),
        recommended=frame["recommended"].map(lambda yes: t("yes") if yes else None),
    )


def comparison_headers(t: Text) -> dict[str, str]:
    return {
        "rule": t("planner.compare.rule"),
        "recommended": t("col.recommended"),
        "communities_meeting": t("col.communities_meeting"),
        "communities_assessed": t("planner.compare.assessed"),
        "gap_after": t("planner.compare.gap"),
        "one_short": t("planner.compare.one_short"),
        "per_10k": t("planner.compare.per_10k"),
        "receiving": t("planner.compare.receiving"),
    }


def plan_csv(communities: pd.DataFrame, t: Text) -> bytes:
    """The allocation of every community (data_access.planner.allocation at community level)
    under the table's headers (its columns are counts and names: nothing to round)."""
    return csv_bytes(communities.rename(columns=lambda column: t(f"col.{column}")))


def plan_workbook(
    comparison: RuleComparison,
    units: pd.DataFrame,
    level: str,
    communities: pd.DataFrame,
    title: str,
    filters: Mapping[str, str],
    t: Text,
) -> bytes:
    """The rules compared, the allocation per unit at `level` and per community, one sheet each."""
    headers = {column: t(f"col.{column}") for column in communities.columns}
    tables = [
        SheetTable(
            t("planner.sheet.compare"),
            f"{t('planner.compare.title')} · {title}",
            comparison_frame(comparison, t),
            comparison_headers(t),
        ),
    ]
    if level != "community":
        tables.append(
            SheetTable(
                t("planner.sheet.by", level=t(f"level.{level}")),
                f"{t('planner.sheet.by', level=t(f'level.{level}'))} · {title}",
                units,
                {column: t(f"col.{column}") for column in units.columns},
                t("export.total"),
            )
        )
    tables.append(
        SheetTable(
            t("planner.sheet.by", level=t("level.community")),
            f"{t('planner.sheet.by', level=t('level.community'))} · {title}",
            communities,
            headers,
            t("export.total"),
        )
    )
    return workbook_bytes(
        tables, filters, t("export.filters_sheet"), (t("export.filter"), t("export.value"))
    )
