"""Phase 7: the admission list (docs/admission.md), the applications and the items found.

As in 江夏: the 2019-11 list admits 16 self-governance and 38 assisting items and clears the rest;
23 certificates are abolished in 2020-12; applications admit 5 more items over the years and 3
are withdrawn in 2024-06, so that the list stands at 16 + 40 at the end. Departments apply every
year, mostly answered within 15 working days; a few are late, refused, or still pending. Inspections
find items in communities, some never admitted, most of those in the district where forms creep
back (burden.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from data_access.demo.burden import _rebound_district
from data_access.demo.common import DEMO_LAST_MONTH, PERIODS
from data_access.demo.places import CityPlan
from data_access.workdays import nth_working_day_after

LIST_DAY = dt.date(2019, 11, 20)
CERTIFICATE_DAY = dt.date(2020, 12, 15)
WITHDRAWN_DAY = dt.date(2024, 6, 30)
FOUND_FROM = dt.date(2024, 1, 1)

SELF_GOVERNANCE = (
    "召集居民会议和居民代表会议",
    "制定和修订居民公约",
    "居务公开",
    "社区协商议事",
    "居民委员会换届选举",
    "调解民间纠纷",
    "组织社区志愿服务",
    "管理社区公益事业",
    "开展社区文化体育活动",
    "社区环境卫生自治管理",
    "社区治安防范自治",
    "监督业主委员会和物业服务",
    "监督社区集体资产管理",
    "收集反映居民意见建议",
    "培育社区社会组织",
    "组织邻里互助服务",
)
# name, department, funded; the last three of the first 38 are withdrawn in 2024-06.
ASSISTING = (
    ("协助开展最低生活保障申请受理", "民政局", "yes"),
    ("协助开展特困人员救助供养申请", "民政局", "yes"),
    ("协助开展临时救助", "民政局", "yes"),
    ("协助开展高龄津贴申报", "民政局", "yes"),
    ("协助开展养老服务需求摸底", "民政局", "no"),
    ("协助开展残疾人两项补贴申报", "民政局", "yes"),
    ("协助开展城乡居民基本养老保险参保", "人社局", "yes"),
    ("协助开展就业失业登记", "人社局", "yes"),
    ("协助开展城乡居民基本医疗保险参保", "医保局", "yes"),
    ("协助开展基本公共卫生服务宣传", "卫健委", "yes"),
    ("协助开展计划生育服务", "卫健委", "yes"),
    ("协助开展爱国卫生运动", "卫健委", "unknown"),
    ("协助开展流动人口居住登记", "公安局", "yes"),
    ("协助开展社区治安防范宣传", "公安局", "yes"),
    ("协助开展禁毒宣传", "公安局", "no"),
    ("协助开展人民调解和法治宣传", "司法局", "yes"),
    ("协助开展社区矫正", "司法局", "yes"),
    ("协助开展安置帮教", "司法局", "yes"),
    ("协助开展市容环境卫生整治", "城管局", "no"),
    ("协助开展垃圾分类宣传引导", "城管局", "no"),
    ("协助开展老旧小区改造意见征集", "住建局", "yes"),
    ("协助调处物业管理矛盾", "住建局", "unknown"),
    ("协助开展困难群众住房保障申请", "住建局", "yes"),
    ("协助开展防灾减灾宣传和应急演练", "应急管理局", "yes"),
    ("协助开展安全隐患排查", "应急管理局", "no"),
    ("协助开展退役军人服务保障", "退役军人事务局", "yes"),
    ("协助走访慰问优抚对象", "退役军人事务局", "yes"),
    ("协助办理残疾人证和残疾人服务", "残联", "yes"),
    ("协助开展妇女儿童权益保障", "妇联", "yes"),
    ("协助开展青少年服务", "团市委", "unknown"),
    ("协助开展食品安全宣传", "市场监管局", "yes"),
    ("协助开展生态环境保护宣传", "生态环境局", "unknown"),
    ("协助开展公共文化服务", "文旅局", "yes"),
    ("协助开展消防安全宣传和隐患排查", "消防救援支队", "yes"),
    ("协助开展征兵宣传和兵役登记", "人武部", "yes"),
    ("协助开展人口普查和经济普查", "统计局", "yes"),
    ("协助开展反诈宣传", "公安局", "no"),
    ("协助核查适龄儿童入学信息", "教育局", "unknown"),
)
# name, department, funded, day of the application: admitted later through an application.
ADDED = (
    ("协助开展燃气安全入户宣传", "城管局", "no", dt.date(2021, 5, 10)),
    ("协助开展电动自行车安全管理宣传", "消防救援支队", "yes", dt.date(2022, 3, 7)),
    ("协助开展老年人助餐服务", "民政局", "yes", dt.date(2023, 4, 17)),
    ("协助推广医保电子凭证", "医保局", "unknown", dt.date(2024, 8, 26)),
    ("协助提醒适龄儿童疫苗接种", "卫健委", "no", dt.date(2025, 3, 31)),
)
CERTIFICATES = (
    ("逝者家属取款证明", "金融监管局"),
    ("电动车权属证明", "公安局"),
    ("居民养犬证明", "公安局"),
    ("亲属关系证明", "公安局"),
    ("无犯罪记录证明", "公安局"),
    ("户口迁移证明", "公安局"),
    ("车辆丢失证明", "公安局"),
    ("遗失证明", "公安局"),
    ("婚姻状况证明", "民政局"),
    ("健在证明", "人社局"),
    ("未参加工作证明", "人社局"),
    ("失业证明", "人社局"),
    ("收入证明", "人社局"),
    ("出生证明", "卫健委"),
    ("独生子女证明", "卫健委"),
    ("死亡证明", "卫健委"),
    ("经济困难证明", "教育局"),
    ("房屋产权证明", "住建局"),
    ("无违法建设证明", "城管局"),
    ("火灾受灾证明", "消防救援支队"),
    ("经营场所证明", "市场监管局"),
    ("赡养关系证明", "司法局"),
    ("社会关系证明", "组织部"),
)
# Cleared out of communities by the 2019 list (a sample of the 165 − 56).
CLEARED = (
    ("文明城市创建入户调查", "文明办"),
    ("卫生城市创建台账", "卫健委"),
    ("招商引资任务", "商务局"),
    ("征地拆迁动员", "住建局"),
    ("市场主体年报催报", "市场监管局"),
    ("协税护税", "税务局"),
    ("安全生产执法检查", "应急管理局"),
    ("违法建设查处", "城管局"),
    ("企业信用信息采集", "发改委"),
    ("网络舆情监测", "网信办"),
    ("政务APP推广下载", "数据局"),
    ("各类达标评比创建", "文明办"),
)
# Found in communities although on no list at all.
UNLISTED = (
    "创建文明养犬示范小区",
    "社区经济指标考核",
    "为辖区企业开具经营证明",
    "代收水电燃气费",
    "协助开展商业保险推广",
    "填报部门专项统计报表",
)
REFUSAL = "属于部门职责范围，不宜转由社区承担"
DISTRICT_ITEMS = (
    ("协助开展辖区河湖巡查", "水务局"),
    ("协助开展农贸市场秩序整治", "市场监管局"),
    ("协助开展共享单车停放管理", "城管局"),
    ("协助开展旅游安全宣传", "文旅局"),
    ("协助开展校外培训机构排查", "教育局"),
    ("协助开展空气质量督查", "生态环境局"),
    ("协助开展公共法律服务进社区", "司法局"),
    ("协助开展健康档案更新", "卫健委"),
)


def work_item_rows() -> list[dict]:
    """The list: 16 + 38 items in 2019, 23 certificates in 2020, 5 added, 3 withdrawn in 2024."""
    rows = [
        _item(f"ZZ-{n:02d}", name, "self_governance", "民政局", LIST_DAY, None, "yes")
        for n, name in enumerate(SELF_GOVERNANCE, start=1)
    ]
    withdrawn = {len(ASSISTING) - 2, len(ASSISTING) - 1, len(ASSISTING)}
    rows += [
        _item(
            f"XZ-{n:02d}",
            name,
            "assisting",
            department,
            LIST_DAY,
            WITHDRAWN_DAY if n in withdrawn else None,
            funded,
        )
        for n, (name, department, funded) in enumerate(ASSISTING, start=1)
    ]
    rows += [
        _item(f"XZ-{n:02d}", name, "assisting", department, _answer_day(day, 9), None, funded)
        for n, (name, department, funded, day) in enumerate(ADDED, start=len(ASSISTING) + 1)
    ]
    rows += [
        _item(
            f"ZM-{n:02d}", name, "certificate_abolished", department, CERTIFICATE_DAY, None, "yes"
        )
        for n, (name, department) in enumerate(CERTIFICATES, start=1)
    ]
    rows += [
        _item(f"QL-{n:02d}", name, "none", department, None, None, "unknown")
        for n, (name, department) in enumerate(CLEARED, start=1)
    ]
    return rows


def _item(
    code: str,
    name: str,
    list_name: str,
    department: str,
    admitted_on: dt.date | None,
    withdrawn_on: dt.date | None,
    funded: str,
) -> dict:
    basis = "《中华人民共和国城市居民委员会组织法》" if list_name == "self_governance" else None
    if list_name in ("assisting", "certificate_abolished"):
        basis = "示范市社区工作事项准入目录"
    return {
        "code": code,
        "name": name,
        "list": list_name,
        "department": department,
        "basis": basis,
        "admitted_on": admitted_on,
        "withdrawn_on": withdrawn_on,
        "funded": funded,
    }


def _answer_day(submitted: dt.date, working_days: int) -> dt.date:
    day = nth_working_day_after(submitted, working_days)
    if day is None:  # beyond the holiday calendar: never in the demo's years
        raise ValueError(f"no working-day calendar for {submitted}")
    return day


def application_rows(plan: CityPlan, rng: np.random.Generator) -> list[dict]:
    """About a dozen applications a year from 2020, to the city or a district."""
    rows: list[dict] = []
    for name, department, _, submitted in ADDED:
        rows.append(_application(len(rows), name, department, None, submitted, 9, "admitted", ""))
    departments = sorted({d for _, d, _ in ASSISTING} | {d for _, d in DISTRICT_ITEMS})
    last_day = DEMO_LAST_MONTH.replace(day=28)
    for year in range(2020, DEMO_LAST_MONTH.year + 1):
        for _ in range(int(rng.integers(9, 14))):
            day = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
            if day > last_day:
                continue
            department = departments[int(rng.integers(len(departments)))]
            if rng.random() < 0.4:
                name, scope = f"协助开展{department}专项工作", None
            else:
                name = DISTRICT_ITEMS[int(rng.integers(len(DISTRICT_ITEMS)))][0]
                scope = plan.district_codes[int(rng.integers(len(plan.district_codes)))]
            # Most are answered within the limit; one in eight takes longer.
            late = rng.random() < 0.125
            days = int(rng.integers(16, 32)) if late else int(rng.integers(3, 15))
            decision = "refused" if rng.random() < 0.55 else "admitted"
            reason = REFUSAL if decision == "refused" else "有法规依据，经费随事转"
            rows.append(
                _application(len(rows), name, department, scope, day, days, decision, reason)
            )
    # Some of the latest are not answered yet, and one of them is past its limit.
    end = DEMO_LAST_MONTH.replace(day=31)
    for row in rows:
        if row["decided_on"] > end:
            row.update(decided_on=None, decision="pending", reason=None)
    waiting = (
        ("协助开展养犬登记入户核查", "公安局", None, DEMO_LAST_MONTH - dt.timedelta(days=50)),
        ("协助开展居家养老床位摸排", "民政局", None, DEMO_LAST_MONTH + dt.timedelta(days=19)),
        (
            DISTRICT_ITEMS[2][0],
            DISTRICT_ITEMS[2][1],
            plan.district_codes[0],
            DEMO_LAST_MONTH + dt.timedelta(days=26),
        ),
    )
    for name, department, scope, submitted in waiting:
        rows.append(_application(len(rows), name, department, scope, submitted, 0, "pending", ""))
    return sorted(rows, key=lambda r: r["id"])


def _application(
    index: int,
    name: str,
    department: str,
    scope: str | None,
    submitted: dt.date,
    working_days: int,
    decision: str,
    reason: str,
) -> dict:
    pending = decision == "pending"
    return {
        "id": f"SQ{submitted.year}-{index + 1:03d}",
        "item_name": name,
        "department": department,
        "scope": scope,
        "submitted_on": submitted,
        "decided_on": None if pending else _answer_day(submitted, max(working_days, 1)),
        "decision": decision,
        "reason": reason or None,
    }


def found_rows(plan: CityPlan, items: Sequence[dict], rng: np.random.Generator) -> list[dict]:
    """Each month from 2024, inspections of about one community in twelve, and a few self-reports."""
    not_admitted = [r["code"] for r in items if r["list"] in ("none", "certificate_abolished")]
    withdrawn = [r["code"] for r in items if r["withdrawn_on"] is not None]
    lax = _rebound_district(plan)
    district = plan.community_district
    rows = []
    for period in (p for p in PERIODS if p >= FOUND_FROM):
        admitted = [
            r["code"]
            for r in items
            if r["list"] in ("self_governance", "assisting")
            and r["admitted_on"] <= period
            and (r["withdrawn_on"] is None or r["withdrawn_on"] > period)
        ]
        inspected = np.flatnonzero(rng.random(len(plan.community_codes)) < 1 / 12)
        for c in inspected:
            chance = 0.45 if district[c] == lax else 0.05
            found = set(rng.choice(admitted, size=int(rng.integers(2, 5)), replace=False))
            if rng.random() < chance:
                pool = UNLISTED if rng.random() < 0.5 else not_admitted + withdrawn
                found.add(pool[int(rng.integers(len(pool)))])
            source = "self_report" if rng.random() < 0.2 else "inspection"
            rows += [
                {
                    "community_code": plan.community_codes[c],
                    "period": period,
                    "item": str(item),
                    "source": source,
                }
                for item in sorted(found)
            ]
    return rows


def plan_admission(plan: CityPlan, rng: np.random.Generator) -> dict[str, list[dict]]:
    """Rows of work_item, admission_application and item_found."""
    items = work_item_rows()
    return {
        "work_item": items,
        "admission_application": application_rows(plan, rng),
        "item_found": found_rows(plan, items, rng),
    }
