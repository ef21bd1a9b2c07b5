"""`{% dashboard_table %}`: the dashboard's tables rendered in Python, with every text escaped and suppressed cells
saying why instead of a number."""

from __future__ import annotations

from django.template import Context, Template

from analytics.tables import Cell, Table


def render(table: Table) -> str:
    return Template("{% load dashboard_tables %}{% dashboard_table table %}").render(Context({"table": table}))


def test_rows_cells_and_escaping():
    table = Table("gap", "Gap <by department>", ["Department", "Rate", "Note"], [
        [Cell.label("R&D <lab>"), Cell.number(0.5), Cell.label("ok")],
        [Cell.label("Sales"), Cell.hidden(5), Cell.label("")],
    ])  # fmt: skip
    assert render(table) == (
        '<table class="table" id="table-gap"><caption class="visually-hidden">Gap &lt;by department&gt;</caption>'
        '<thead><tr><th scope="col">Department</th><th scope="col" class="number">Rate</th>'
        '<th scope="col" class="number">Note</th></tr></thead><tbody>'
        '<tr><th scope="row">R&amp;D &lt;lab&gt;</th><td class="number">0.5</td><td>ok</td></tr>'
        '<tr><th scope="row">Sales</th><td class="number"><span class="suppressed-cell">fewer than 5 people</span>'
        "</td><td></td></tr></tbody></table>"
    )


def test_a_table_without_rows_says_so():
    assert '<tr><td colspan="2" class="empty">No rows.</td></tr>' in render(Table("t", "T", ["A", "B"]))
