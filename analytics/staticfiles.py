"""A static files finder that serves plotly.js from the installed `plotly` wheel as `vendor/plotly.min.js`.

The HR dashboard draws its charts with plotly.js. The PyPI wheel ships the minified bundle
(plotly/package_data/plotly.min.js), so the setup installs it like any other dependency: no CDN, no copy in the
repository. Only that one file is exposed (the package_data folder also holds widget bundles and data sets), and
`collectstatic` picks it up through `list()` like the files of the other finders.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import utils
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage

STATIC_PATH = "vendor/plotly.min.js"


def plotly_bundle() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bundle = plotly_bundle()
        self.storage = FileSystemStorage(location=str(self.bundle.parent))
        self.storage.prefix = "vendor"

    def check(self, **kwargs):
        if not self.bundle.is_file():
            message = f"plotly.js is missing from the installed plotly wheel ({self.bundle})."
            return [Error(message, id="analytics.E001")]
        return []

    def find(self, path, find_all=False, **kwargs):
        if path != STATIC_PATH or not self.bundle.is_file():
            return [] if find_all else None
        return [str(self.bundle)] if find_all else str(self.bundle)

    def list(self, ignore_patterns):
        if self.bundle.is_file() and not utils.matches_patterns(self.bundle.name, ignore_patterns or []):
            yield self.bundle.name, self.storage
