"""Shared fixtures: the bundled sample data, its answer key, the default settings."""

from __future__ import annotations

import pytest

from kamlib import data


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
