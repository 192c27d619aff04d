"""Shared pytest setup. Fixtures for each area live in tests/fixtures/ and are plugged in here."""

import pytest

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.localforge",
    "tests.fixtures.forges",
    "tests.fixtures.browser",
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
