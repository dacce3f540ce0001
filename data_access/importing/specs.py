"""What each import file holds (docs/metrics.md §1, §6): columns, Chinese template headers, types and keys."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from data_access.models import (
    BURDEN_CATEGORIES,
    CERTIFICATES,
    COMMUNITY_KINDS,
    DECISIONS,
    FACILITY_KINDS,
    FOUND_SOURCES,
    FUNDED_VALUES,
    GRID_KINDS,
    ROLES,
    WORK_ITEM_LISTS,
)

# The Chinese label of every allowed value, as the templates list them; either form is accepted.
ROLE_LABELS = {
    "secretary": "社区党组织书记",
    "committee": "两委成员",
    "staff": "专职社区工作者",
    "grid_fulltime": "专职网格员",
    "grid_parttime": "兼职网格员",
    "public_welfare": "公益性岗位",
    "temporary": "临聘人员",
}
CERTIFICATE_LABELS = {"none": "无", "junior": "初级", "intermediate": "中级", "senior": "高级"}
CATEGORY_LABELS = {
    "work_items": "工作事项",
    "certificates": "证明事项",
    "forms": "报表",
    "signboards": "挂牌",
    "mechanisms": "工作机制/机构",
    "meetings": "会议",
    "inspections": "检查考评",
    "ledgers": "台账",
    "apps": "政务App/信息系统",
    "creation_tasks": "创建达标",
}
COMMUNITY_KIND_LABELS = {"urban": "城市社区", "village": "村"}
GRID_KIND_LABELS = {"general": "综合网格", "dedicated": "专属网格"}
FACILITY_KIND_LABELS = {
    "service_centre": "党群服务中心",
    "social_work_station": "社工站",
    "elderly_care": "养老服务设施",
    "clinic": "社区卫生服务站",
    "other": "其他",
}
BOOLEAN_LABELS = {True: "是", False: "否"}
WORK_ITEM_LIST_LABELS = {
    "self_governance": "依法自治事项",
    "assisting": "协助政府事项",
    "certificate_abolished": "取消的证明事项",
    "none": "未列入清单",
}
FUNDED_LABELS = {"yes": "已配套", "no": "未配套", "unknown": "不详"}
DECISION_LABELS = {"admitted": "准入", "refused": "不予准入", "pending": "审批中"}
FOUND_SOURCE_LABELS = {"inspection": "督查发现", "self_report": "社区自报"}
# An application to the whole city leaves 申请范围 empty or writes one of these.
CITY_SCOPE_WORDS = ("city", "全市", "市级", "市")

assert tuple(ROLE_LABELS) == ROLES
assert tuple(CERTIFICATE_LABELS) == CERTIFICATES
assert tuple(CATEGORY_LABELS) == BURDEN_CATEGORIES
assert tuple(COMMUNITY_KIND_LABELS) == COMMUNITY_KINDS
assert tuple(GRID_KIND_LABELS) == GRID_KINDS
assert tuple(FACILITY_KIND_LABELS) == FACILITY_KINDS
assert tuple(WORK_ITEM_LIST_LABELS) == WORK_ITEM_LISTS
assert tuple(FUNDED_LABELS) == FUNDED_VALUES
assert tuple(DECISION_LABELS) == DECISIONS
assert tuple(FOUND_SOURCE_LABELS) == FOUND_SOURCES

# The first cell of a template's example row starts with this; such rows are never imported.
EXAMPLE_MARKERS = ("例：", "例:")

# China's bounding box (docs/metrics.md §6): coordinates outside it are a typo or a swapped lon/lat.
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)

# Headers that would carry personal data, which the database never stores (docs/metrics.md §1).
PERSONAL_HEADERS = frozenset(
    {"姓名", "身份证", "身份证号", "身份证号码", "手机", "手机号", "手机号码", "电话", "联系电话"}
    | {"name_of_person", "person_name", "id_number", "id_card", "phone", "mobile", "telephone"}
)


@dataclass(frozen=True)
class Column:
    """One column: English name (docs/metrics.md §1), Chinese template header, type and constraints.

    kind is one of code, unit_code, scope, key, text, int, float, date, period, bool, choice,
    geometry.
    """

    name: str
    header: str
    kind: str
    required: bool = False
    level: str | None = None  # code columns: district, street, community or grid
    max_length: int | None = None
    labels: Mapping[str, str] | None = None  # choice columns: value → Chinese label
    default: object = None  # written when the cell is empty and the column cannot be NULL
    minimum: float | None = None
    positive: bool = False
    coordinate: str | None = None  # "lon" or "lat": must lie in China's bounding box
    example: object = None
    in_template: bool = True
    aliases: tuple[str, ...] = ()  # further accepted headers
    # period columns: no month before burden_first_year nor after the current month
    recent: bool = False


@dataclass(frozen=True)
class ScopeRule:
    """Which unit owns a row, so that an account imports only inside its area (docs/accounts.md,
    Scope of an import).

    column names the column holding the owning unit's code: the row lies inside an area when that
    code starts with the area's code. An empty cell there (an application to the whole city)
    belongs to the city. column None: no row tells its owner, so the table is the city's and only
    a city-wide account imports it.
    """

    column: str | None

    @property
    def city_only(self) -> bool:
        return self.column is None


CITY_WIDE = ScopeRule(None)


@dataclass(frozen=True)
class TableSpec:
    """One import kind: its table, sheet name, columns, natural key and parent links."""

    kind: str
    table: str
    sheet: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # (column, level): the column names a unit of that level that must exist.
    parents: tuple[tuple[str, str], ...] = ()
    # (child column, parent column): the child's code starts with the parent's code.
    prefixes: tuple[tuple[str, str], ...] = ()
    # (earlier column, later column, message key): the later date may not come first.
    date_orders: tuple[tuple[str, str, str], ...] = ()
    # Which unit owns a row (docs/accounts.md): no default, every table declares its rule.
    scope: ScopeRule = field(kw_only=True)
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})
        if self.scope.column is not None and self.scope.column not in self.by_name:
            raise ValueError(f"{self.kind}: the scope column {self.scope.column} is no column")

    @property
    def template_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.in_template)


def _code(name: str, header: str, level: str, required: bool = True, example: str = "") -> Column:
    return Column(name, header, "code", required=required, level=level, example=example)


def _name(header: str, example: str) -> Column:
    return Column("name", header, "text", required=True, max_length=64, example=example)


def _ending(level: str) -> tuple[Column, Column]:
    """A unit's optional end (docs/metrics.md §2, units that end): the day it was dissolved, and
    the unit of the same level it was merged into or re-coded as (empty: abolished)."""
    return (
        Column("dissolved_on", "撤销日期", "date", example="", aliases=("撤并日期",)),
        Column(
            "successor_code",
            "并入单位代码",
            "code",
            level=level,
            example="",
            aliases=("并入或改设为代码", "改设后代码"),
        ),
    )


SPECS: dict[str, TableSpec] = {
    spec.kind: spec
    for spec in (
        TableSpec(
            "districts",
            "district",
            "区",
            (
                _code("code", "区代码", "district", example="110101"),
                _name("区名称", "东城区"),
                *_ending("district"),
            ),
            key=("code",),
            scope=ScopeRule("code"),
        ),
        TableSpec(
            "streets",
            "street",
            "街道",
            (
                _code("code", "街道代码", "street", example="110101001"),
                _name("街道名称", "东华门街道"),
                _code("district_code", "所属区代码", "district", example="110101"),
                *_ending("street"),
            ),
            key=("code",),
            scope=ScopeRule("code"),
            parents=(("district_code", "district"),),
            prefixes=(("code", "district_code"),),
        ),
        TableSpec(
            "communities",
            "community",
            "社区",
            (
                _code("code", "社区代码", "community", example="110101001001"),
                _name("社区名称", "多福巷社区"),
                _code("street_code", "所属街道代码", "street", example="110101001"),
                Column(
                    "kind",
                    "社区类型",
                    "choice",
                    labels=COMMUNITY_KIND_LABELS,
                    default="urban",
                    example="城市社区",
                ),
                Column("area_km2", "面积（平方公里）", "float", minimum=0, example=0.52),
                Column("lon", "经度", "float", coordinate="lon", example=116.404),
                Column("lat", "纬度", "float", coordinate="lat", example=39.915),
                *_ending("community"),
                Column("boundary", "边界（GeoJSON）", "geometry", in_template=False),
            ),
            key=("code",),
            scope=ScopeRule("code"),
            parents=(("street_code", "street"),),
            prefixes=(("code", "street_code"),),
        ),
        TableSpec(
            "population",
            "community_population",
            "人口",
            (
                _code("community_code", "社区代码", "community", example="110101001001"),
                Column("year", "年份", "int", required=True, minimum=1949, example=2025),
                # 0 for a community not yet lived in; residents without households, or
                # households without residents, are a problem of the row (validate._row_checks).
                Column(
                    "resident_population",
                    "常住人口",
                    "int",
                    required=True,
                    minimum=0,
                    example=8650,
                ),
                Column("households", "户数", "int", required=True, minimum=0, example=3120),
            ),
            key=("community_code", "year"),
            scope=ScopeRule("community_code"),
            parents=(("community_code", "community"),),
        ),
        TableSpec(
            "grids",
            "grid",
            "网格",
            (
                _code("code", "网格代码", "grid", example="110101001001001"),
                _name("网格名称", "多福巷第一网格"),
                _code("community_code", "社区代码", "community", example="110101001001"),
                Column(
                    "kind",
                    "网格类型",
                    "choice",
                    labels=GRID_KIND_LABELS,
                    default="general",
                    example="综合网格",
                ),
                Column("households", "户数", "int", minimum=0, example=420),
                Column("population", "人口", "int", minimum=0, example=1150),
                Column(
                    "has_party_branch",
                    "有网格党支部",
                    "bool",
                    default=False,
                    example="是",
                ),
                Column("boundary", "边界（GeoJSON）", "geometry", in_template=False),
            ),
            key=("code",),
            scope=ScopeRule("community_code"),
            parents=(("community_code", "community"),),
            prefixes=(("code", "community_code"),),
        ),
        TableSpec(
            "staff",
            "staff_member",
            "社区工作者",
            (
                Column(
                    "staff_code", "人员编号", "key", required=True, max_length=32, example="P000123"
                ),
                _code("community_code", "社区代码", "community", example="110101001001"),
                Column(
                    "role",
                    "角色",
                    "choice",
                    required=True,
                    labels=ROLE_LABELS,
                    example="专职网格员",
                ),
                Column(
                    "certificate",
                    "社工证书",
                    "choice",
                    labels=CERTIFICATE_LABELS,
                    default="none",
                    example="初级",
                ),
                Column("birth_year", "出生年份", "int", minimum=1900, example=1990),
                Column("start_date", "入职日期", "date", required=True, example="2021-03-01"),
                Column("end_date", "离职日期", "date", example=""),
                _code("grid_code", "网格代码", "grid", required=False, example="110101001001001"),
            ),
            key=("staff_code",),
            scope=ScopeRule("community_code"),
            parents=(("community_code", "community"), ("grid_code", "grid")),
            prefixes=(("grid_code", "community_code"),),
            date_orders=(("start_date", "end_date", "end_before_start"),),
        ),
        TableSpec(
            "facilities",
            "facility",
            "服务设施",
            (
                Column("code", "设施代码", "key", required=True, max_length=32, example="F0001"),
                _name("设施名称", "多福巷社区党群服务中心"),
                _code("community_code", "社区代码", "community", example="110101001001"),
                Column(
                    "kind",
                    "设施类型",
                    "choice",
                    required=True,
                    labels=FACILITY_KIND_LABELS,
                    example="党群服务中心",
                ),
                Column("lon", "经度", "float", required=True, coordinate="lon", example=116.405),
                Column("lat", "纬度", "float", required=True, coordinate="lat", example=39.914),
                Column("floor_area_m2", "建筑面积（平方米）", "float", minimum=0, example=650),
            ),
            key=("code",),
            scope=ScopeRule("community_code"),
            parents=(("community_code", "community"),),
        ),
        TableSpec(
            "burden",
            "burden_record",
            "减负台账",
            (
                _code("community_code", "社区代码", "community", example="110101001001"),
                Column(
                    "category",
                    "类别",
                    "choice",
                    required=True,
                    labels=CATEGORY_LABELS,
                    example="报表",
                ),
                Column("period", "月份", "period", required=True, recent=True, example="2025-06"),
                Column("count", "数量", "int", required=True, minimum=0, example=12),
            ),
            key=("community_code", "category", "period"),
            scope=ScopeRule("community_code"),
            parents=(("community_code", "community"),),
        ),
        TableSpec(
            "work_items",
            "work_item",
            "工作事项清单",
            (
                Column("code", "事项编号", "key", required=True, max_length=32, example="XZ-01"),
                Column(
                    "name",
                    "事项名称",
                    "text",
                    required=True,
                    max_length=128,
                    example="协助开展城乡居民基本医疗保险参保登记",
                ),
                Column(
                    "list",
                    "所属清单",
                    "choice",
                    required=True,
                    labels=WORK_ITEM_LIST_LABELS,
                    example="协助政府事项",
                ),
                Column(
                    "department", "主管部门", "text", required=True, max_length=64, example="医保局"
                ),
                Column(
                    "basis",
                    "依据",
                    "text",
                    max_length=255,
                    example="《中华人民共和国社会保险法》",
                ),
                Column("admitted_on", "列入日期", "date", example="2019-11-20"),
                Column("withdrawn_on", "移出日期", "date", example=""),
                Column(
                    "funded",
                    "经费配套",
                    "choice",
                    labels=FUNDED_LABELS,
                    default="unknown",
                    example="已配套",
                ),
            ),
            key=("code",),
            scope=CITY_WIDE,
            date_orders=(("admitted_on", "withdrawn_on", "withdrawn_before_admitted"),),
        ),
        TableSpec(
            "applications",
            "admission_application",
            "准入申请",
            (
                Column("id", "申请编号", "key", required=True, max_length=32, example="SQ2025-014"),
                Column(
                    "item_name",
                    "申请事项",
                    "text",
                    required=True,
                    max_length=128,
                    example="协助开展燃气安全入户宣传",
                ),
                Column(
                    "department", "申请部门", "text", required=True, max_length=64, example="城管局"
                ),
                Column("scope", "申请范围", "scope", level="district", example="110101"),
                Column("submitted_on", "申请日期", "date", required=True, example="2025-03-03"),
                Column("decided_on", "审批日期", "date", example="2025-03-20"),
                Column(
                    "decision",
                    "审批结果",
                    "choice",
                    required=True,
                    labels=DECISION_LABELS,
                    example="准入",
                ),
                Column("reason", "理由", "text", max_length=2000, example="有法律依据，经费随事转"),
            ),
            key=("id",),
            scope=ScopeRule("scope"),
            parents=(("scope", "district"),),
            date_orders=(("submitted_on", "decided_on", "decided_before_submitted"),),
        ),
        TableSpec(
            "items_found",
            "item_found",
            "事项发现",
            (
                _code("community_code", "社区代码", "community", example="110101001001"),
                Column("period", "月份", "period", required=True, example="2025-06"),
                Column(
                    "item",
                    "事项编号或名称",
                    "text",
                    required=True,
                    max_length=128,
                    example="创建文明养犬示范小区",
                ),
                Column(
                    "source",
                    "来源",
                    "choice",
                    required=True,
                    labels=FOUND_SOURCE_LABELS,
                    example="督查发现",
                ),
            ),
            key=("community_code", "period", "item"),
            scope=ScopeRule("community_code"),
            parents=(("community_code", "community"),),
        ),
        TableSpec(
            "boundaries",
            "",  # a boundary updates the community or grid of its code
            "边界",
            (
                Column(
                    "code",
                    "代码",
                    "unit_code",
                    required=True,
                    example="110101001001",
                    aliases=("properties.code",),
                ),
                Column(
                    "boundary",
                    "边界（GeoJSON）",
                    "geometry",
                    required=True,
                    example="",
                    aliases=("geometry",),
                ),
            ),
            key=("code",),
            scope=ScopeRule("code"),
        ),
    )
}

# Dependency order of the writes (docs/metrics.md §6): parents before children, boundaries last.
KIND_ORDER: tuple[str, ...] = (
    "districts",
    "streets",
    "communities",
    "population",
    "grids",
    "staff",
    "facilities",
    "burden",
    "work_items",
    "applications",
    "items_found",
    "boundaries",
)
assert set(KIND_ORDER) == set(SPECS)

_SEPARATORS = "_-. （("


def normalise_header(text: str) -> str:
    """Headers compare without case, spaces, a leading BOM or the width of brackets."""
    text = str(text).replace("\ufeff", "").strip().lower()
    text = text.replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", text)


def header_map(spec: TableSpec) -> dict[str, Column]:
    """Every accepted header of a kind (English name or Chinese header), normalised."""
    accepted: dict[str, Column] = {}
    for column in spec.columns:
        accepted[normalise_header(column.name)] = column
        accepted[normalise_header(column.header)] = column
        for alias in column.aliases:
            accepted[normalise_header(alias)] = column
    return accepted


def kind_of_name(stem: str) -> str | None:
    """The kind a file or sheet name stands for: `burden`, `burden_2025-06`, `减负台账`…; else None."""
    text = stem.strip().lower()
    names = [(kind, kind) for kind in SPECS] + [(spec.sheet, kind) for kind, spec in SPECS.items()]
    # The longest name first, so that 社区工作者 is not read as 社区.
    for name, kind in sorted(names, key=lambda pair: -len(pair[0])):
        if text == name or (text.startswith(name) and text[len(name)] in _SEPARATORS):
            return kind
    return None


def allowed_text(labels: Mapping[str, str]) -> str:
    """Allowed values for a message: `secretary (社区党组织书记), …`, readable in both languages."""
    return ", ".join(f"{value} ({label})" for value, label in labels.items())
