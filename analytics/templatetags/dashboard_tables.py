"""`{% dashboard_table table %}`: one dashboard table (an analytics.tables.Table) as HTML; suppressed cells say why
instead of a number.

Written in Python rather than as an included template: the dashboard's tables hold hundreds of cells, and a
template loop per cell was most of the page's time (the load test's HR dashboard at 1M sessions).
"""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from analytics.tables import Cell, Table

register = template.Library()
NUMBER_CLASS = ' class="number"'


def _cell(cell: Cell, first: bool) -> str:
    text = escape(cell.text)
    if first:
        return f'<th scope="row">{text}</th>'
    if cell.suppressed:
        return f'<td class="number"><span class="suppressed-cell">{text}</span></td>'
    return f'<td class="number">{text}</td>' if cell.numeric else f"<td>{text}</td>"


@register.simple_tag
def dashboard_table(table: Table) -> SafeString:
    head = "".join(
        f'<th scope="col"{NUMBER_CLASS if n else ""}>{escape(column)}</th>' for n, column in enumerate(table.columns)
    )
    rows = ["<tr>" + "".join(_cell(cell, n == 0) for n, cell in enumerate(row)) + "</tr>" for row in table.rows] or [
        f'<tr><td colspan="{len(table.columns)}" class="empty">No rows.</td></tr>'
    ]
    return mark_safe(  # every text above is escaped
        f'<table class="table" id="table-{escape(table.key)}">'
        f'<caption class="visually-hidden">{escape(table.title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
