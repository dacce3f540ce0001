"""The shared database (docs/metrics.md §1) as typed SQLAlchemy ORM models."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    false,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# GeoJSON of a boundary can outgrow MySQL's 64 KB TEXT.
GeoJSONText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")

ROLES = (
    "secretary",
    "committee",
    "staff",
    "grid_fulltime",
    "grid_parttime",
    "public_welfare",
    "temporary",
)
# Grid workers (docs/metrics.md §5): a grid with one of them active that day is staffed.
GRID_WORKER_ROLES = ("grid_fulltime", "grid_parttime")
CERTIFICATES = ("none", "junior", "intermediate", "senior")
BURDEN_CATEGORIES = (
    "work_items",
    "certificates",
    "forms",
    "signboards",
    "mechanisms",
    "meetings",
    "inspections",
    "ledgers",
    "apps",
    "creation_tasks",
)
COMMUNITY_KINDS = ("urban", "village")
GRID_KINDS = ("general", "dedicated")
FACILITY_KINDS = ("service_centre", "social_work_station", "elderly_care", "clinic", "other")
# The admission list (docs/admission.md): which list a work item is on, and what is known of it.
WORK_ITEM_LISTS = ("self_governance", "assisting", "certificate_abolished", "none")
ADMITTED_LISTS = ("self_governance", "assisting")
FUNDED_VALUES = ("yes", "no", "unknown")
DECISIONS = ("admitted", "refused", "pending")
FOUND_SOURCES = ("inspection", "self_report")

# Chinese names need four-byte UTF-8 on MySQL/MariaDB whatever the server default.
MYSQL_OPTIONS = {"mysql_charset": "utf8mb4"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class District(Base):
    __tablename__ = "district"
    __table_args__ = MYSQL_OPTIONS

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # A unit that ended (docs/metrics.md §2, units that end): from this day on it is in no figure.
    dissolved_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    # The unit of the same level it was merged into or re-coded as; no foreign key, so that a
    # merge into a unit listed later in the same file is written in file order (the import checks it).
    successor_code: Mapped[str | None] = mapped_column(String(6))


class Street(Base):
    __tablename__ = "street"
    __table_args__ = MYSQL_OPTIONS

    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    district_code: Mapped[str] = mapped_column(ForeignKey("district.code"), index=True)
    dissolved_on: Mapped[dt.date | None] = mapped_column(Date, index=True)  # as District's
    successor_code: Mapped[str | None] = mapped_column(String(9))


class Community(Base):
    __tablename__ = "community"
    __table_args__ = MYSQL_OPTIONS

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    street_code: Mapped[str] = mapped_column(ForeignKey("street.code"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="urban")
    area_km2: Mapped[float | None] = mapped_column(Double)
    lon: Mapped[float | None] = mapped_column(Double)
    lat: Mapped[float | None] = mapped_column(Double)
    boundary: Mapped[str | None] = mapped_column(GeoJSONText)
    dissolved_on: Mapped[dt.date | None] = mapped_column(Date, index=True)  # as District's
    successor_code: Mapped[str | None] = mapped_column(String(12))


class CommunityPopulation(Base):
    __tablename__ = "community_population"
    __table_args__ = MYSQL_OPTIONS

    community_code: Mapped[str] = mapped_column(ForeignKey("community.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_population: Mapped[int] = mapped_column(Integer)
    households: Mapped[int] = mapped_column(Integer)


class Grid(Base):
    __tablename__ = "grid"
    __table_args__ = MYSQL_OPTIONS

    code: Mapped[str] = mapped_column(String(15), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    community_code: Mapped[str] = mapped_column(ForeignKey("community.code"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="general")
    households: Mapped[int | None] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(Integer)
    has_party_branch: Mapped[bool] = mapped_column(Boolean, default=False)
    boundary: Mapped[str | None] = mapped_column(GeoJSONText)


class StaffMember(Base):
    """One pseudonymous person: no names, ID numbers or phone numbers are ever stored."""

    __tablename__ = "staff_member"
    __table_args__ = (
        Index("ix_staff_member_community_role", "community_code", "role"),
        Index("ix_staff_member_grid_code", "grid_code"),
        MYSQL_OPTIONS,
    )

    staff_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("community.code"))
    role: Mapped[str] = mapped_column(String(20))
    certificate: Mapped[str] = mapped_column(String(16), default="none")
    birth_year: Mapped[int | None] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    grid_code: Mapped[str | None] = mapped_column(ForeignKey("grid.code"))


class Facility(Base):
    __tablename__ = "facility"
    __table_args__ = MYSQL_OPTIONS

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    community_code: Mapped[str] = mapped_column(ForeignKey("community.code"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    lon: Mapped[float] = mapped_column(Double)
    lat: Mapped[float] = mapped_column(Double)
    floor_area_m2: Mapped[float | None] = mapped_column(Double)


class BurdenRecord(Base):
    """One community, category and month; the primary key serves (community, category, period).

    On PostgreSQL the table is partitioned by month (migration 0014_burden_partitions); the
    writers add a month's partition first (data_access/partitions.py). Same columns, key and
    index names everywhere."""

    __tablename__ = "burden_record"
    __table_args__ = (
        # Covering and led by the month: a sum per category and month reads it in order, not the table.
        Index(
            "ix_burden_record_period_category_code_count",
            "period",
            "category",
            "community_code",
            "count",
        ),
        MYSQL_OPTIONS,
    )

    community_code: Mapped[str] = mapped_column(ForeignKey("community.code"), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    period: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class BurdenSummary(Base):
    """Burden per unit, category and month, kept at write time (data_access/summaries/)."""

    __tablename__ = "burden_summary"
    __table_args__ = (
        # The months a unit's series is current in: period <= as-of < next_period.
        Index("ix_burden_summary_level_next_code", "level", "next_period", "code"),
        # The rebounds current at a date: a few rows among millions (docs/metrics.md §4).
        Index("ix_burden_summary_rebound", "level", "rebound", "next_period", "code"),
        MYSQL_OPTIONS,
    )

    level: Mapped[str] = mapped_column(String(10), primary_key=True)
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    period: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    window_min: Mapped[int | None] = mapped_column(BigInteger)
    next_period: Mapped[dt.date] = mapped_column(Date)
    # The month is a rebound by the thresholds in summary_state's params (docs/metrics.md §4).
    rebound: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SummaryState(Base):
    """With which settings each summary was last computed."""

    __tablename__ = "summary_state"
    __table_args__ = (MYSQL_OPTIONS,)

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    window_months: Mapped[int] = mapped_column(Integer)
    params: Mapped[str | None] = mapped_column(String(255))


class CommunityCoverage(Base):
    """Spatial coverage of each community by its grids, kept at write time (coverage.py)."""

    __tablename__ = "community_coverage"
    __table_args__ = (MYSQL_OPTIONS,)

    community_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    area_m2: Mapped[float | None] = mapped_column(Double)
    covered_m2: Mapped[float | None] = mapped_column(Double)
    gap_m2: Mapped[float | None] = mapped_column(Double)
    overlap_m2: Mapped[float | None] = mapped_column(Double)
    blind_spots: Mapped[int] = mapped_column(Integer)
    blind_spot_m2: Mapped[float] = mapped_column(Double)
    overlap_pieces: Mapped[int] = mapped_column(Integer)
    overlap_piece_m2: Mapped[float] = mapped_column(Double)
    grids: Mapped[int] = mapped_column(Integer)
    grids_with_boundary: Mapped[int] = mapped_column(Integer)


class GridReach(Base):
    """Each grid with a boundary: its centre and whether a facility is within walking reach."""

    __tablename__ = "grid_reach"
    __table_args__ = (MYSQL_OPTIONS,)

    grid_code: Mapped[str] = mapped_column(String(15), primary_key=True)
    community_code: Mapped[str] = mapped_column(String(12), index=True)
    households: Mapped[int | None] = mapped_column(Integer)
    lon: Mapped[float] = mapped_column(Double)
    lat: Mapped[float] = mapped_column(Double)
    reached: Mapped[bool] = mapped_column(Boolean)


class UnitOutline(Base):
    """Each community, street and district outline simplified for the map of the city or of its
    district, kept at write time (data_access/outlines.py)."""

    __tablename__ = "unit_outline"
    __table_args__ = (MYSQL_OPTIONS,)

    detail: Mapped[str] = mapped_column(String(10), primary_key=True)  # the scope it is drawn at
    level: Mapped[str] = mapped_column(String(10), primary_key=True)
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    # The unsimplified outline's box and a point on its surface (WGS-84), its area in square degrees.
    min_lon: Mapped[float] = mapped_column(Double)
    min_lat: Mapped[float] = mapped_column(Double)
    max_lon: Mapped[float] = mapped_column(Double)
    max_lat: Mapped[float] = mapped_column(Double)
    label_lon: Mapped[float] = mapped_column(Double)
    label_lat: Mapped[float] = mapped_column(Double)
    area: Mapped[float] = mapped_column(Double)
    decimals: Mapped[int] = mapped_column(Integer)  # of the coordinates in `outline`
    # The coordinates of a GeoJSON MultiPolygon: polygons of rings of [lon, lat], simplified.
    outline: Mapped[str] = mapped_column(GeoJSONText)


class StaffingSummary(Base):
    """Staffing of each community at each month end, kept at write time (data_access/summaries/):
    the population in force and the counted workers active that day, by certificate and age band
    (docs/metrics.md §3)."""

    __tablename__ = "staffing_summary"
    __table_args__ = (
        # A district's rows, which a refresh replaces: the community range, then the months.
        Index("ix_staffing_summary_community_month", "community_code", "month_end"),
        # SQLite keeps the rows in primary-key order, as InnoDB does: a month's rows are read
        # where the key finds them, not looked up one by one (several times quicker for the trend).
        {**MYSQL_OPTIONS, "sqlite_with_rowid": False},
    )

    # The primary key serves the reads: one month end (or the trend's list of them), then the
    # scope's range of community codes.
    month_end: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    community_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    resident_population: Mapped[int | None] = mapped_column(Integer)
    households: Mapped[int | None] = mapped_column(Integer)
    counted_workers: Mapped[int] = mapped_column(Integer)
    licensed_workers: Mapped[int] = mapped_column(Integer)
    certificate_none: Mapped[int] = mapped_column(Integer)
    certificate_junior: Mapped[int] = mapped_column(Integer)
    certificate_intermediate: Mapped[int] = mapped_column(Integer)
    certificate_senior: Mapped[int] = mapped_column(Integer)
    workers_under_35: Mapped[int] = mapped_column(Integer)
    workers_35_44: Mapped[int] = mapped_column(Integer)
    workers_45_54: Mapped[int] = mapped_column(Integer)
    workers_55_over: Mapped[int] = mapped_column(Integer)
    workers_unknown: Mapped[int] = mapped_column(Integer)
    uncertified_under_35: Mapped[int] = mapped_column(Integer)
    uncertified_35_44: Mapped[int] = mapped_column(Integer)
    uncertified_45_54: Mapped[int] = mapped_column(Integer)
    uncertified_55_over: Mapped[int] = mapped_column(Integer)
    uncertified_unknown: Mapped[int] = mapped_column(Integer)
    uncertified_under_40: Mapped[int] = mapped_column(Integer)


class GridStaffingSummary(Base):
    """Grid staffing of each community at each month end, kept at write time
    (data_access/summaries/): its grids, and those with an active grid worker, full-time or
    any (docs/metrics.md §5). Only communities with at least one grid have rows."""

    __tablename__ = "grid_staffing_summary"
    __table_args__ = (
        # A district's rows, which a refresh replaces: the community range, then the months.
        Index("ix_grid_staffing_summary_community_month", "community_code", "month_end"),
        {
            **MYSQL_OPTIONS,
            "sqlite_with_rowid": False,
        },  # as staffing_summary: a month's rows together
    )

    # The primary key serves the reads: one month end, then the scope's range of community codes.
    month_end: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    community_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    grids: Mapped[int] = mapped_column(Integer)
    staffed_grids: Mapped[int] = mapped_column(Integer)
    fulltime_staffed_grids: Mapped[int] = mapped_column(Integer)


class MapPiece(Base):
    """What the map of a street or a community draws, simplified for it at write time
    (data_access/outlines.py): its communities, grids, blind spots and overlaps."""

    __tablename__ = "map_piece"
    __table_args__ = (MYSQL_OPTIONS,)

    detail: Mapped[str] = mapped_column(String(10), primary_key=True)  # street or community
    scope_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # community, grid, gap, overlap
    code: Mapped[str] = mapped_column(String(15), primary_key=True)  # the community or grid
    part: Mapped[int] = mapped_column(Integer, primary_key=True)  # the piece of a gap or overlap
    community_code: Mapped[str] = mapped_column(String(12))
    area_m2: Mapped[float | None] = mapped_column(Double)  # of a gap or overlap
    min_lon: Mapped[float] = mapped_column(Double)
    min_lat: Mapped[float] = mapped_column(Double)
    max_lon: Mapped[float] = mapped_column(Double)
    max_lat: Mapped[float] = mapped_column(Double)
    label_lon: Mapped[float] = mapped_column(Double)
    label_lat: Mapped[float] = mapped_column(Double)
    area: Mapped[float] = mapped_column(Double)
    decimals: Mapped[int] = mapped_column(Integer)
    outline: Mapped[str] = mapped_column(GeoJSONText)


class ImportBatch(Base):
    """The audit trail of every import attempt, accepted or refused."""

    __tablename__ = "import_batch"
    __table_args__ = MYSQL_OPTIONS

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str | None] = mapped_column(Text)
    account: Mapped[str | None] = mapped_column(String(64))


class WorkItem(Base):
    """A community work item and the list it is on (docs/admission.md)."""

    __tablename__ = "work_item"
    __table_args__ = MYSQL_OPTIONS

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    # `list` in the database, as the import and the docs call it; not a Python built-in here.
    list_name: Mapped[str] = mapped_column("list", String(24), index=True)
    department: Mapped[str] = mapped_column(String(64))
    basis: Mapped[str | None] = mapped_column(String(255))
    admitted_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    funded: Mapped[str] = mapped_column(String(8), default="unknown")


class AdmissionApplication(Base):
    """A department's application to put a work item on communities (准入审批)."""

    __tablename__ = "admission_application"
    __table_args__ = (
        Index("ix_admission_application_scope_submitted_on", "scope", "submitted_on"),
        MYSQL_OPTIONS,
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    item_name: Mapped[str] = mapped_column(String(128))
    department: Mapped[str] = mapped_column(String(64))
    # A district code, or NULL for an application to the city.
    scope: Mapped[str | None] = mapped_column(ForeignKey("district.code"))
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decision: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)


class ItemFound(Base):
    """A work item found in a community in a month: a work_item code, or its name when on no list."""

    __tablename__ = "item_found"
    __table_args__ = (Index("ix_item_found_period", "period"), MYSQL_OPTIONS)

    community_code: Mapped[str] = mapped_column(ForeignKey("community.code"), primary_key=True)
    period: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    item: Mapped[str] = mapped_column(String(128), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))


ACCOUNT_ROLES = ("viewer", "importer", "admin")
CITY = "city"


class Account(Base):
    """A person or office that signs in (docs/accounts.md): a scope it may see and a role."""

    __tablename__ = "account"
    __table_args__ = MYSQL_OPTIONS

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: single sign-on only
    scope: Mapped[str] = mapped_column(String(12))  # a district, street or community code, or city
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AccountSession(Base):
    """A browser signed in with a password (docs/accounts.md): the SHA-256 of the random token in
    its cookie, never the token itself; it ends at expires_at, at sign-out, or when the account
    is disabled or given a new password."""

    __tablename__ = "account_session"
    __table_args__ = MYSQL_OPTIONS

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class IdentityMap(Base):
    """A single sign-on identity (subject or e-mail, lower case) and the account it acts as."""

    __tablename__ = "identity_map"
    __table_args__ = MYSQL_OPTIONS

    identity: Mapped[str] = mapped_column(String(255), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)


class AuditEvent(Base):
    """Who asked for what, when, and whether it was allowed: sign-ins, refusals, imports, exports."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_at", "at"), MYSQL_OPTIONS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    account: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    scope: Mapped[str | None] = mapped_column(String(12))
    detail: Mapped[str | None] = mapped_column(Text)


class SignInDelay(Base):
    """Wrong sign-ins on one account name, known or not (docs/accounts.md, limits): a keyed hash of
    the name, never the name; after the free failures the next attempt waits until not_before.
    Forgotten at expires_at."""

    __tablename__ = "sign_in_delay"
    __table_args__ = MYSQL_OPTIONS

    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class UsedToken(Base):
    """The nonce of a report link once it was used (docs/accounts.md, reports): inserting it is the
    single-use check of every app process; kept until the link would have expired anyway."""

    __tablename__ = "used_token"
    __table_args__ = MYSQL_OPTIONS

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
