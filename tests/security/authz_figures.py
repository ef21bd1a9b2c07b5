"""The matrix's figures, collected by the cells and printed at the end of the run by tests/security/conftest.py.
A foreign read is a response showing the other organization's canary, or the mentor's private note to anyone else;
a foreign write is a request after which a row of the other organization differs."""

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
        f"authorization matrix: {cells} cells exercised, foreign reads {foreign_reads}, foreign writes {foreign_writes}"
    )
