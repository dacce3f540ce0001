"""The import templates, built by code: an Excel workbook (a sheet per table) and a zip of CSVs."""

from __future__ import annotations

import io
import json
import zipfile

import xlsxwriter

from data_access.files import plain_csv_bytes
from data_access.importing.specs import (
    BOOLEAN_LABELS,
    EXAMPLE_MARKERS,
    KIND_ORDER,
    SPECS,
    Column,
    TableSpec,
)
from data_access.scope import CODE_LENGTH

# Fixed timestamps inside zips, so that the same content gives the same bytes.
ZIP_TIME = (2020, 1, 1, 0, 0, 0)
EXAMPLE_BOUNDARY = {
    "type": "Polygon",
    "coordinates": [
        [[116.40, 39.91], [116.41, 39.91], [116.41, 39.92], [116.40, 39.92], [116.40, 39.91]]
    ],
}
ALLOWED_SHEET = "可选值"
GUIDE_SHEET = "填写说明"
ALLOWED_HEADER = ("表", "列", "取值（英文）", "中文名称")
REFERENCE_HEADER = ("表", "列名", "英文列名", "必填", "格式")

GUIDE = (
    "社区治理领导驾驶舱 · 数据导入模板",
    "",
    "1. 每个工作表对应一张数据表，只填需要导入的表即可，其余工作表留空。"
    "也可以把各表另存为 CSV，文件名用英文表名（如 staff.csv、burden.csv）。",
    "2. 表头用本模板的中文列名或英文列名均可；第 2 行以“例：”开头的是示例，导入时自动跳过。",
    "3. 代码：区 6 位、街道 9 位、社区 12 位、网格 15 位（统计用区划代码），下级代码以上级代码开头。"
    "上级单位须已在数据库中，或在同一次导入中。",
    "4. 日期写 YYYY-MM-DD（如 2024-03-01）；月份写 YYYY-MM（如 2025-06）；是/否 也可写 true/false 或 1/0。",
    "5. 类型、角色、类别等只能填“可选值”表中的中文名称或英文取值。",
    "6. 不得填写任何个人信息：人员只用“人员编号”标识，不填姓名、身份证号、手机号。",
    "7. 一次导入要么全部写入，要么（发现任何问题时）全部不写入，并逐条列出问题所在的文件、行、列和原因。"
    "同一主键再次导入会更新该行，内容相同则不变。",
    "8. 边界可填在“边界”工作表（GeoJSON 几何文本），或另存为 boundaries.geojson："
    "FeatureCollection，每个要素的 properties.code 为社区或网格代码，坐标为 WGS-84 [经度, 纬度]。",
    "9. CSV 文件请用 UTF-8 或 GB18030（GBK）编码；Excel 请保存为 .xlsx。",
    "10. 社区工作事项准入：“工作事项清单”列出每个事项及所属清单（已列入清单的须填列入日期）；"
    "“准入申请”的审批日期不得早于申请日期，审批中的申请不填审批日期；"
    "“事项发现”填清单中的事项编号，清单外的事项填其名称。",
    "11. 撤销、合并或改设代码的区、街道、社区：在其所在表的这一行填“撤销日期”，"
    "并入（或改设为）的同级单位代码填“并入单位代码”（须已在数据库中或在同一次导入中；单纯撤销则留空）。"
    "自撤销之日起该单位不计入任何统计；撤销之后的月份、年份、入职日期，以及撤销时仍在岗的人员，"
    "导入时会被列为问题。清空撤销日期即恢复该单位。",
)

_FORMATS = {
    "text": "文本",
    "key": "编号（不含个人信息）",
    "int": "整数",
    "float": "数字",
    "date": "日期 YYYY-MM-DD",
    "period": "月份 YYYY-MM",
    "bool": "是/否",
    "choice": "见“可选值”",
    "geometry": "GeoJSON 多边形（WGS-84）",
    "unit_code": "12 位社区代码或 15 位网格代码",
    "scope": "6 位区代码；全市留空或填“全市”",
}


def format_of(column: Column) -> str:
    """How a column is filled in, in the words of the template."""
    if column.kind == "code":
        return f"{CODE_LENGTH[column.level or '']} 位代码"
    text = _FORMATS[column.kind]
    if column.max_length:
        text += f"，≤{column.max_length} 字"
    if column.positive:
        text += "，> 0"
    elif column.minimum is not None:
        text += f"，≥ {column.minimum:g}"
    return text


def column_reference() -> list[tuple[str, str, str, str, str]]:
    """(table, header, English name, required, format) of every column, for the guide and the page."""
    return [
        (spec.sheet, c.header, c.name, "是" if c.required else "", format_of(c))
        for kind in KIND_ORDER
        for spec in (SPECS[kind],)
        for c in spec.template_columns
    ]


def allowed_values() -> list[tuple[str, str, str, str]]:
    """(table, column, value, Chinese label) of every column with a closed list of values."""
    rows = []
    for kind in KIND_ORDER:
        spec = SPECS[kind]
        for column in spec.template_columns:
            if column.labels:
                rows += [
                    (spec.sheet, column.header, v, label) for v, label in column.labels.items()
                ]
            elif column.kind == "bool":
                rows += [
                    (spec.sheet, column.header, str(v).lower(), label)
                    for v, label in BOOLEAN_LABELS.items()
                ]
    return rows


def example_row(spec: TableSpec) -> list[object]:
    """The example values of a kind, the first marked so that the import skips the row."""
    values: list[object] = [c.example for c in spec.template_columns]
    if spec.kind == "boundaries":
        values[1] = json.dumps(EXAMPLE_BOUNDARY, separators=(",", ":"))
    values[0] = f"{EXAMPLE_MARKERS[0]}{values[0]}"
    return values


def template_workbook() -> bytes:
    """The Excel template: a guide, one sheet per table (header and example row), allowed values."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    )
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    required = workbook.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "font_color": "#C00000"}
    )
    example = workbook.add_format({"italic": True, "font_color": "#808080"})
    text = workbook.add_format({"num_format": "@"})

    guide = workbook.add_worksheet(GUIDE_SHEET)
    guide.set_column(0, 0, 110)
    for row, line in enumerate(GUIDE):
        guide.write_string(row, 0, line, header if row == 0 else None)
    start = len(GUIDE) + 1
    guide.write_row(start, 0, REFERENCE_HEADER, header)
    guide.set_column(1, 4, 22)
    for offset, values in enumerate(column_reference(), start=1):
        guide.write_row(start + offset, 0, values)

    for kind in KIND_ORDER:
        spec = SPECS[kind]
        sheet = workbook.add_worksheet(spec.sheet)
        columns = spec.template_columns
        for index, column in enumerate(columns):
            sheet.write_string(0, index, column.header, required if column.required else header)
            sheet.write_comment(0, index, f"{column.name} · {format_of(column)}")
            textual = column.kind in ("code", "key", "date", "period", "unit_code", "scope", "text")
            sheet.set_column(
                index, index, 60 if column.kind == "geometry" else 18, text if textual else None
            )
            options = _dropdown(column)
            if options:
                sheet.data_validation(1, index, 100_000, index, options)
        for index, value in enumerate(example_row(spec)):
            if value not in (None, ""):
                sheet.write(1, index, value, example)
        sheet.freeze_panes(1, 0)

    allowed = workbook.add_worksheet(ALLOWED_SHEET)
    allowed.write_row(0, 0, ALLOWED_HEADER, header)
    allowed.set_column(0, 3, 20)
    for row, allowed_row in enumerate(allowed_values(), start=1):
        allowed.write_row(row, 0, allowed_row)
    workbook.close()
    return buffer.getvalue()


def _dropdown(column: Column) -> dict[str, object] | None:
    """A list of the Chinese labels on cells of a closed column; other text is still allowed."""
    if column.labels:
        labels = list(column.labels.values())
    elif column.kind == "bool":
        labels = list(BOOLEAN_LABELS.values())
    else:
        return None
    return {"validate": "list", "source": labels, "error_type": "information"}


def template_zip() -> bytes:
    """The CSV templates (UTF-8 with BOM), the allowed values, an example GeoJSON and the guide."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for kind in KIND_ORDER:
            if kind == "boundaries":
                continue
            spec = SPECS[kind]
            data = plain_csv_bytes([c.header for c in spec.template_columns], [example_row(spec)])
            _add(archive, f"{kind}.csv", data)
        _add(archive, "allowed_values.csv", plain_csv_bytes(ALLOWED_HEADER, allowed_values()))
        # Not named boundaries.geojson, so that importing the folder as it is does not import it.
        collection = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": "110101001001"},
                    "geometry": EXAMPLE_BOUNDARY,
                }
            ],
        }
        _add(archive, "example_boundaries.geojson", json.dumps(collection, indent=1).encode())
        guide = "\r\n".join([*GUIDE, "", *(",".join(r) for r in column_reference())])
        _add(archive, "README.txt", ("\ufeff" + guide + "\r\n").encode("utf-8"))
    return buffer.getvalue()


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)
