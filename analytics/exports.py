"""CSV and XLSX of a dashboard table, exactly as the page shows it (same filters, same suppression).

The export writes `Cell.export_value`: numbers as numbers (so a spreadsheet can sum them), labels as text, and a
suppressed cell as the sentence "fewer than N people" — the hidden figure is not in the table object at all.
"""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.styles import Font

from analytics.tables import Table
from mentorship.spreadsheets import formula_safe

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _safe(value):
    value = formula_safe(value)  # labels come from names people typed (departments, skills, programs)
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 52, not 52.0, in the CSV as in the spreadsheet
    return value


def table_rows(table: Table) -> list[list]:
    """Header and rows as plain values (the same list feeds the CSV, the XLSX and the tests)."""
    return [list(table.columns), *([_safe(cell.export_value) for cell in row] for row in table.rows)]


def table_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(["" if value is None else value for value in row] for row in table_rows(table))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


def table_xlsx(table: Table, *, about: list[tuple[str, str]] = ()) -> bytes:
    """The table on the first sheet; `about` (filters, computed at, the suppression rule) on a second one."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.title[:31]
    rows = table_rows(table)
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.columns:
        width = max(len(str(cell.value or "")) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
    if about:
        notes = workbook.create_sheet("About")
        for key, value in about:
            notes.append([key, _safe(value)])
        notes.column_dimensions["A"].width = 24
        notes.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_response(table: Table, fmt: str, *, filename: str, about: list[tuple[str, str]] = ()) -> HttpResponse:
    body = table_csv(table) if fmt == "csv" else table_xlsx(table, about=about)
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{slugify(filename) or table.key}.{fmt}"'
    return response
