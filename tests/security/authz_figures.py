"""The matrix's figures, collected by the cells and printed at the end of the run by tests/security/conftest.py."""

from __future__ import annotations

cells = 0
foreign_reads = 0
foreign_writes = 0


def record(*, leaked: bool, changed: bool) -> None:
    global cells, foreign_reads, foreign_writes
    cells += 1
    foreign_reads += leaked
    foreign_writes += changed


def summary() -> str:
    return (
        f"authorization matrix: {cells} cells exercised, foreign reads {foreign_reads}, "
        f"foreign writes {foreign_writes}"
    )
