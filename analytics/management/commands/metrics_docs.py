"""Write docs/metrics.md from the metric registry (analytics/definitions.py)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from analytics.definitions import docs_markdown

DOCS = Path(settings.BASE_DIR) / "docs" / "metrics.md"


class Command(BaseCommand):
    help = "Regenerate docs/metrics.md from analytics/definitions.py (a test checks that they agree)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Fail instead of writing when the file differs.")

    def handle(self, *args, check: bool, **options):
        text = docs_markdown()
        if check:
            if not DOCS.exists() or DOCS.read_text() != text:
                raise SystemExit(f"{DOCS} is out of date: run manage.py metrics_docs")
            return
        DOCS.parent.mkdir(exist_ok=True)
        DOCS.write_text(text)
        self.stdout.write(f"wrote {DOCS}")
