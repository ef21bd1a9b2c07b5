import pytest
from django.core.cache import cache


@pytest.fixture
def empty_cache():
    """Throttle counters live in Redis, which outlives a test (and a run): start each throttle test from zero."""
    cache.clear()
    yield
    cache.clear()


def pytest_terminal_summary(terminalreporter):
    from tests.security import authz_figures

    if authz_figures.cells:
        terminalreporter.write_line(authz_figures.summary())
