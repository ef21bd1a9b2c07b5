"""Text bound for a spreadsheet (CSV and XLSX exports).

Spreadsheet programs run a cell that starts with one of FORMULA_PREFIXES as a formula (CSV/formula injection).
Exported labels come from what people typed (names, departments, skills, audit details), so such a text is
prefixed with an apostrophe and stays text.
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value):
    """`value` with an apostrophe in front when it is text a spreadsheet would run; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
