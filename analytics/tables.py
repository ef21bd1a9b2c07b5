"""Dashboard tables as plain data: what the pages show beside each chart, and what the CSV and XLSX exports write.

A cell holds its raw number (for charts and spreadsheets) and its display text; a suppressed cell holds neither
number nor figure, only the sentence that says why, so no output can leak it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    value: float | int | str | None
    text: str
    suppressed: bool = False
    numeric: bool = False

    @classmethod
    def label(cls, text: str) -> Cell:
        return cls(text, text)

    @classmethod
    def number(cls, value: float | int | None, fmt: str = "{:g}", *, missing: str = "—") -> Cell:
        if value is None:
            return cls(None, missing, numeric=True)
        return cls(value, fmt.format(value), numeric=True)

    @classmethod
    def hidden(cls, min_group_size: int) -> Cell:
        return cls(None, suppressed_text(min_group_size), suppressed=True, numeric=True)

    @property
    def export_value(self) -> float | int | str | None:
        """What a spreadsheet gets: the number, the label, or the suppression sentence (never the hidden figure)."""
        return self.text if self.suppressed else self.value


def suppressed_text(min_group_size: int) -> str:
    return f"fewer than {min_group_size} people"


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)

    @property
    def has_figures(self) -> bool:
        """Whether any cell shows a number (all suppressed or all missing is an empty state)."""
        return any(cell.numeric and cell.value is not None for row in self.rows for cell in row)

    @property
    def all_suppressed(self) -> bool:
        numbers = [cell for row in self.rows for cell in row if cell.numeric]
        return (
            bool(numbers)
            and all(cell.suppressed or cell.value is None for cell in numbers)
            and any(cell.suppressed for cell in numbers)
        )
