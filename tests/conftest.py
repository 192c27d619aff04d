"""Shared pytest setup. Fixtures for each area live in tests/fixtures/ and are plugged in here."""

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.localforge",
    "tests.fixtures.forges",
    "tests.fixtures.browser",
]
