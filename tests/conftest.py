"""Shared fixtures: the bundled sample data, its answer key, the default settings."""

from __future__ import annotations

import pytest

from kamlib import data


def pytest_addoption(parser):
    parser.addoption("--profiles", action="store_true", default=False,
                     help="run the export-profile tests (slow: make test-profiles)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--profiles"):
        return
    skip = pytest.mark.skip(reason="export-profile runs are slow: make test-profiles")
    for item in items:
        if item.get_closest_marker("profiles") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def sample():
    """The bundled sample data, loaded once."""
    return data.load("sample")


@pytest.fixture(scope="session")
def answer_key():
    """The generator's hidden truth for the bundled data (one row per customer)."""
    return data.load_answer_key().set_index("customer_id")


@pytest.fixture(scope="session")
def default_settings():
    from kamlib import settings

    return settings.Settings()


@pytest.fixture(autouse=True)
def _neutral_company():
    """Each test starts with no company set: a test that runs a report or a chapter
    helper sets the current company (``formatting.set_company``) for the rest of the
    process, and the next test in the same worker would speak of that company."""
    from kamlib import formatting

    formatting.set_company(formatting.NEUTRAL)
    yield
    formatting.set_company(formatting.NEUTRAL)
