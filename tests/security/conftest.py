import pytest
from django.core.cache import cache


@pytest.fixture
def empty_cache():
    """Throttle counters live in Redis, which outlives a test (and a run): start each throttle test from zero."""
    cache.clear()
    yield
    cache.clear()
