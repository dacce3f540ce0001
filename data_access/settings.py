"""Every standard and threshold of the metrics, each with its default and the reason for it.

A value is overridden, without code changes, by an environment variable ``DASHBOARD_<NAME>``
(upper case) or by a ``[settings]`` table in ``.streamlit/secrets.toml``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE = PROJECT_ROOT / ".streamlit" / "secrets.toml"


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    reason: str
    # The type of a setting whose default is None (unset): an override is read as this type,
    # and an empty override (or "none") leaves it unset.
    value_type: type | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "standard_per_10k",
        18.0,
        "十四五城乡社区服务体系建设规划 (国办发〔2021〕56号): 18 community workers per 10,000 residents.",
    ),
    Setting(
        "minimum_workers",
        9,
        "Small communities under 5,000 residents still need a working team of at least 9.",
    ),
    Setting(
        "village_standard_per_10k",
        None,
        "The national standard of 18 per 10,000 counts urban residents (每万城镇常住人口); a "
        "village (村) is not measured against it. Unset: villages have no required headcount and "
        "no gap; a province that sets a village standard gives it here, per 10,000 residents.",
        float,
    ),
    Setting(
        "village_min_team",
        None,
        "The minimum team of 9 is an urban rule; a village committee of 1,000–3,500 residents is "
        "not held to it. Unset: no minimum for villages; a province's own minimum village team "
        "goes here (with village_standard_per_10k unset, it alone is a village's requirement).",
        int,
    ),
    Setting(
        "count_grid_fulltime",
        True,
        "Whether full-time grid workers count as community workers varies by place; counted by default.",
    ),
    Setting(
        "far_below_ratio",
        0.8,
        "A community below 80 % of the standard per 10,000 is flagged as far below it on the Overview.",
    ),
    Setting(
        "close_ratio",
        0.9,
        "The one traffic light of every card, bar, table cell and map (data_access/lights.py): "
        "meets at or above its standard or target, close from 90 % of it, below under that.",
    ),
    Setting(
        "target_share_meeting",
        1.0,
        "Every community should have its required headcount (share of communities meeting it).",
    ),
    Setting(
        "target_staffed_rate",
        1.0,
        "Every grid should have at least one grid worker (网格配员率).",
    ),
    Setting(
        "target_grid_coverage",
        1.0,
        "Grids cover the whole community (网格全覆盖): every household and every square metre in a "
        "grid; the target of household and spatial coverage.",
    ),
    Setting(
        "premises_standard_m2_per_100_households",
        30.0,
        "城乡社区服务体系建设规划: at least 30 m² of community comprehensive service premises "
        "(社区综合服务设施) per 100 households.",
    ),
    Setting(
        "premises_counted_kinds",
        "service_centre,social_work_station",
        "Facility kinds whose floor area counts as comprehensive service premises: the "
        "party-and-people service centre (党群服务中心) and the social-work station (社工站).",
    ),
    Setting(
        "elderly_premises_standard_m2_per_100_households",
        20.0,
        "New housing must provide at least 20 m² of elderly-care premises per 100 households; "
        "reported apart from the comprehensive premises.",
    ),
    Setting(
        "premises_standard_applies_to_villages",
        False,
        "The premises standard is an urban one; villages (行政村) are assessed against it only "
        "where the city says so.",
    ),
    Setting(
        "premises_alert_ratio",
        0.5,
        "A community with no counted premises, or below half the premises standard per 100 "
        "households, is listed among the Overview's alerts.",
    ),
    Setting(
        "target_reduction_pct",
        50.0,
        "Burden reduction target against the baseline; 江夏 cut work items 66 % and forms 81 %.",
    ),
    Setting(
        "rebound_min_pct",
        10.0,
        "A burden rebound is a rise of at least 10 % over the lowest value of the previous 12 months.",
    ),
    Setting(
        "rebound_min_abs",
        1,
        "…and of at least 1 item, so that a rise from 0 to 0 or tiny noise is not a rebound.",
    ),
    Setting(
        "rebound_window_months",
        12,
        "The rebound compares the current month with the lowest of this many previous months.",
    ),
    Setting(
        "grid_households_min",
        300,
        "An urban general grid (综合网格) should hold at least 300 households.",
    ),
    Setting(
        "grid_households_max",
        500,
        "…and at most 500 households; dedicated grids (专属网格) are not size-checked.",
    ),
    Setting(
        "walk_radius_m",
        1000.0,
        "15-minute living circle: a facility within about 1,000 m walk of a grid's centre.",
    ),
    Setting(
        "sliver_width_m",
        2.0,
        "Gap or overlap pieces thinner than this (2 × area ÷ perimeter, m) are digitising slivers.",
    ),
    Setting(
        "basemap",
        "none",
        "Map background: none (outlines on a plain background: no request leaves the server), an "
        "internal XYZ tile URL with {z} {x} {y}, tianditu (天地图, needs tianditu_key) or carto (online).",
    ),
    Setting(
        "tianditu_key",
        "",
        "The 天地图 API key (tk) of this deployment, used when basemap is tianditu.",
    ),
    Setting(
        "coordinate_system",
        "wgs84",
        "Coordinates of the basemap tiles: wgs84, or gcj02 for AMap/Tencent tiles (geometry is shifted).",
    ),
    Setting(
        "data_check_seconds",
        10,
        "How often each app process asks for the latest accepted import; when it changed, the "
        "process drops its cached results (they are kept until then, however old).",
    ),
    Setting(
        "cache_warm",
        True,
        "After a start and after every import, compute the city's and each district's views of "
        "the latest month in the background, so that no leader waits for a first run.",
    ),
    Setting(
        "screen_refresh_seconds",
        300,
        "The wall screen (大屏) reloads its figures this often, keeping its scope and metric.",
    ),
    Setting(
        "screen_rotate",
        False,
        "Whether the wall screen shows the city and each district in turn (URL rotate=1 or 0 wins).",
    ),
    Setting(
        "screen_rotate_seconds",
        60,
        "How long the rotating wall screen shows one district (or the city) before the next.",
    ),
    Setting(
        "screen_cycle_seconds",
        10,
        "No longer used: the wall screen lists its alerts by street on one page. Kept so that a "
        "settings file naming it still loads.",
    ),
    Setting(
        "city_name",
        "",
        "The city's name, the wall screen's title at city scope; empty: 全市 (All city) in the "
        "UI language, or the demo city's name on demo data.",
    ),
    Setting(
        "statement_timeout_seconds",
        30,
        "One slow query is cancelled after this long, so that it cannot hang a page.",
    ),
    Setting(
        "writer_statement_timeout_seconds",
        900,
        "The import, the demo and the summary refresh write a whole city in large batches: "
        "their statements may run this long (readers keep statement_timeout_seconds).",
    ),
    Setting(
        "connect_timeout_seconds",
        5,
        "A database that does not answer within this long is reported as unreachable.",
    ),
    Setting(
        "pool_size",
        5,
        "Connections kept open per app process; each rerun holds one only while it queries.",
    ),
    Setting(
        "pool_max_overflow",
        15,
        "Extra connections allowed at peaks when many viewers rerun at once.",
    ),
    Setting(
        "default_language",
        "zh",
        "Simplified Chinese by default; English on the switch.",
    ),
    Setting(
        "time_zone",
        "Asia/Shanghai",
        "Times in reports and on pages are shown in this IANA time zone (the database keeps UTC).",
    ),
    Setting(
        "report_table_max_pages",
        10,
        "A table in a PDF report is printed whole up to about this many pages; the rest is left to its export.",
    ),
    Setting(
        "main_burden_categories",
        "work_items,forms,certificates",
        "The burden categories whose reduction the Overview shows as KPI cards.",
    ),
    Setting(
        "import_max_mb",
        50,
        "An import file (or a file inside a zip) larger than this many MiB is refused unread.",
    ),
    Setting(
        "admission_limit_working_days",
        15,
        "An admission application is answered within 15 working days in principle (准入审批).",
    ),
    Setting(
        "target_on_time_share",
        1.0,
        "…so every application should be answered within that limit: the target of the on-time "
        "share.",
    ),
    Setting(
        "admission_found_months",
        12,
        "Items found in communities are counted over this many months up to the as-of month.",
    ),
    Setting(
        "import_max_unzipped_mb",
        150,
        "A zip or workbook may inflate to at most this many MiB in all; more is a zip bomb.",
    ),
    Setting(
        "import_max_geojson_mb",
        32,
        "A boundaries file at most this many MiB: a district's communities and grids take a few; "
        "a single outline of 1.5 million points filling 50 MiB took 593 MB to check and map, "
        "32 MiB stays under 512 MB (docs/security.md).",
    ),
    Setting(
        "import_max_rows",
        2_000_000,
        "An import of more data rows than this is refused as soon as it passes the count.",
    ),
    Setting(
        "import_max_problems",
        1000,
        "Problems listed one by one; beyond this many, only a count per kind of problem.",
    ),
    Setting(
        "burden_first_year",
        2015,
        "Burden records start in this year (the reduction of community burdens began in earnest "
        "with the 2015–2017 notices); an import of an earlier month, or of a month after the "
        "current one, is refused row by row.",
    ),
    Setting(
        "import_max_new_months",
        24,
        "One import may bring burden records of at most this many months the database holds none "
        "of (on PostgreSQL each is a new partition, and thousands exhaust the server's lock "
        "memory); a longer history is imported in several parts.",
    ),
    Setting(
        "sqlite_busy_timeout_seconds",
        30,
        "On SQLite, a read or write waits this long for a running import's write to finish "
        'instead of failing at once with "database is locked".',
    ),
    Setting(
        "report_max_renders",
        2,
        "Report renders (headless Chromium) running at once per app process; others wait in line.",
    ),
    Setting(
        "report_deadline_seconds",
        120,
        "A report that has not rendered within this long ends with a message instead.",
    ),
    Setting(
        "db_read_timeout_seconds",
        5,
        "A statement waiting this long makes the app check that the database still answers; "
        "when it does not (a dead network), the page says so instead of waiting for minutes.",
    ),
    Setting(
        "auth_mode",
        "none",
        "Sign-in: none (the embedded demo only: anyone sees everything), local (accounts in the "
        "database) or oidc (single sign-on); docs/accounts.md.",
    ),
    Setting(
        "lockout_failures",
        5,
        "An account is locked after this many wrong passwords in a row.",
    ),
    Setting(
        "lockout_minutes",
        15,
        "…for this many minutes; accounts unlock (or a new password) lifts the lock at once.",
    ),
    Setting(
        "sign_in_free_failures",
        3,
        "Wrong sign-ins on one account name (known or not) before each further attempt on it "
        "must wait a growing delay; the count is kept in the database, shared by every process.",
    ),
    Setting(
        "sign_in_address_free_failures",
        10,
        "Wrong sign-ins from one client address before its further attempts wait a growing "
        "delay; kept per app process (several offices may share one address behind a NAT).",
    ),
    Setting(
        "sign_in_delay_seconds",
        1.0,
        "The first delay after the free failures; it doubles with each further failure.",
    ),
    Setting(
        "sign_in_delay_max_seconds",
        300.0,
        "…up to this many seconds: a guesser gets about 12 tries an hour per name and address.",
    ),
    Setting(
        "sign_in_forget_minutes",
        60,
        "Failures of a name or an address are forgotten this long after the last one.",
    ),
    Setting(
        "sign_in_max_checks",
        2,
        "Password checks running at once per app process: each Argon2id check takes 64 MiB "
        "and a CPU core for about 0.1 s, so 40 at once would take 2.5 GiB.",
    ),
    Setting(
        "sign_in_check_wait_seconds",
        3.0,
        "A sign-in waits this long for a free check; after that it reads 'try again shortly'.",
    ),
    Setting(
        "trusted_proxy_hops",
        0,
        "Reverse proxies in front of the app that append to X-Forwarded-For; 0: the header is "
        "ignored and the connection's address is the client's (docs/accounts.md).",
    ),
    Setting(
        "session_minutes",
        480,
        "A sign-in lasts this long (a working day), then the form is shown again.",
    ),
    Setting(
        "report_token_seconds",
        60,
        "A report's one-time link is valid this long after its button is pressed.",
    ),
    Setting(
        "oidc_provider",
        "",
        "The [auth.<name>] provider of secrets.toml used for single sign-on; empty: [auth] itself.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _coerce(raw: object, default: object, name: str, value_type: type | None = None) -> object:
    """Converts an override to the type of the default (or `value_type` for a setting unset by
    default, where an empty override or "none" leaves it unset), or raises ValueError."""
    if default is None and value_type is not None:
        if str(raw).strip().lower() in {"", "none"}:
            return None
        return _coerce(raw, value_type(0), name)
    if isinstance(default, bool):
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on", "是"}:
            return True
        if text in {"0", "false", "no", "off", "否"}:
            return False
        raise ValueError(f"setting {name}: {raw!r} is not a boolean")
    convert = cast(Callable[[object], object], type(default))  # float, int or str
    try:
        return convert(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"setting {name}: {raw!r} is not a {type(default).__name__}") from exc


def _secrets_table(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        table = tomllib.load(handle).get("settings", {})
    return table if isinstance(table, dict) else {}


@dataclass(frozen=True)
class Settings:
    standard_per_10k: float
    minimum_workers: int
    village_standard_per_10k: float | None
    village_min_team: int | None
    count_grid_fulltime: bool
    far_below_ratio: float
    close_ratio: float
    target_share_meeting: float
    target_staffed_rate: float
    target_grid_coverage: float
    premises_standard_m2_per_100_households: float
    premises_counted_kinds: str
    elderly_premises_standard_m2_per_100_households: float
    premises_standard_applies_to_villages: bool
    premises_alert_ratio: float
    target_reduction_pct: float
    rebound_min_pct: float
    rebound_min_abs: int
    rebound_window_months: int
    grid_households_min: int
    grid_households_max: int
    walk_radius_m: float
    sliver_width_m: float
    basemap: str
    tianditu_key: str
    coordinate_system: str
    data_check_seconds: int
    cache_warm: bool
    screen_refresh_seconds: int
    screen_rotate: bool
    screen_rotate_seconds: int
    screen_cycle_seconds: int
    city_name: str
    statement_timeout_seconds: int
    writer_statement_timeout_seconds: int
    connect_timeout_seconds: int
    pool_size: int
    pool_max_overflow: int
    default_language: str
    time_zone: str
    report_table_max_pages: int
    main_burden_categories: str
    import_max_mb: int
    admission_limit_working_days: int
    target_on_time_share: float
    admission_found_months: int
    import_max_unzipped_mb: int
    import_max_geojson_mb: int
    import_max_rows: int
    import_max_problems: int
    burden_first_year: int
    import_max_new_months: int
    sqlite_busy_timeout_seconds: int
    report_max_renders: int
    report_deadline_seconds: int
    db_read_timeout_seconds: int
    auth_mode: str
    lockout_failures: int
    lockout_minutes: int
    sign_in_free_failures: int
    sign_in_address_free_failures: int
    sign_in_delay_seconds: float
    sign_in_delay_max_seconds: float
    sign_in_forget_minutes: int
    sign_in_max_checks: int
    sign_in_check_wait_seconds: float
    trusted_proxy_hops: int
    session_minutes: int
    report_token_seconds: int
    oidc_provider: str

    @property
    def target_reduction(self) -> float:
        """target_reduction_pct as the fraction 0–1 that reductions are kept in."""
        return self.target_reduction_pct / 100

    @property
    def villages_assessed(self) -> bool:
        """Whether villages have a required headcount: a village standard or minimum team is set
        (docs/metrics.md §3)."""
        return self.village_standard_per_10k is not None or self.village_min_team is not None

    @property
    def counted_roles(self) -> tuple[str, ...]:
        """Roles counted as community workers (docs/metrics.md §3)."""
        roles = ("secretary", "committee", "staff")
        return (*roles, "grid_fulltime") if self.count_grid_fulltime else roles

    @property
    def premises_kinds(self) -> tuple[str, ...]:
        """Facility kinds counted as comprehensive service premises (docs/metrics.md §9)."""
        return tuple(k.strip() for k in self.premises_counted_kinds.split(",") if k.strip())

    @property
    def import_max_bytes(self) -> int:
        return self.import_max_mb * 2**20

    @property
    def import_max_unzipped_bytes(self) -> int:
        return self.import_max_unzipped_mb * 2**20

    @property
    def import_max_geojson_bytes(self) -> int:
        return self.import_max_geojson_mb * 2**20

    @property
    def main_categories(self) -> tuple[str, ...]:
        return tuple(c.strip() for c in self.main_burden_categories.split(",") if c.strip())


def load_settings(
    environ: dict[str, str] | None = None, secrets_file: Path = SECRETS_FILE
) -> Settings:
    """Defaults, overridden by secrets.toml [settings], overridden by DASHBOARD_* variables."""
    environ = dict(os.environ) if environ is None else environ
    from_file = _secrets_table(secrets_file)
    values: dict[str, Any] = {}  # each of its setting's type, checked by _coerce
    for setting in SETTINGS:
        raw = environ.get(f"DASHBOARD_{setting.name.upper()}", from_file.get(setting.name))
        values[setting.name] = (
            setting.default
            if raw is None
            else _coerce(raw, setting.default, setting.name, setting.value_type)
        )
    unknown = set(from_file) - set(_BY_NAME)
    if unknown:
        raise ValueError(f"unknown settings in {secrets_file.name}: {', '.join(sorted(unknown))}")
    _check_map_settings(
        str(values["basemap"]), str(values["coordinate_system"]), str(values["tianditu_key"])
    )
    _check_time_zone(str(values["time_zone"]))
    if values["auth_mode"] not in AUTH_MODES:
        raise ValueError(f"setting auth_mode: {values['auth_mode']!r} is not none, local or oidc")
    return Settings(**values)


COORDINATE_SYSTEMS = ("wgs84", "gcj02")
AUTH_MODES = ("none", "local", "oidc")


def _check_time_zone(name: str) -> None:
    """ValueError for a name that is not an IANA time zone of this system."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"setting time_zone: {name!r} is not a time zone such as Asia/Shanghai"
        ) from exc


def _check_map_settings(basemap: str, coordinate_system: str, tianditu_key: str) -> None:
    """ValueError for an unknown basemap or coordinate system, or 天地图 without its key."""
    if coordinate_system not in COORDINATE_SYSTEMS:
        raise ValueError(f"setting coordinate_system: {coordinate_system!r} is not wgs84 or gcj02")
    if basemap == "tianditu":
        if not tianditu_key.strip():
            raise ValueError("setting basemap: tianditu needs the key in setting tianditu_key")
        if coordinate_system != "wgs84":
            # 天地图 draws in CGCS2000, which agrees with WGS-84 to well under a metre.
            raise ValueError(
                "setting coordinate_system: 天地图 tiles are wgs84 (CGCS2000), not gcj02"
            )
        return
    if basemap in ("carto", "none"):
        return
    is_xyz = basemap.startswith(("http://", "https://")) and all(
        part in basemap for part in ("{z}", "{x}", "{y}")
    )
    if not is_xyz:
        raise ValueError(
            f"setting basemap: {basemap!r} is not none, carto, tianditu "
            "or a tile URL with {z} {x} {y}"
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return load_settings()


assert {f.name for f in fields(Settings)} == set(_BY_NAME), "Settings and SETTINGS disagree"
