"""Pytest fixture: the default test site, started per test on a free port."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.site.server import SputnikSite, default_site


@pytest.fixture
def test_site() -> Iterator[SputnikSite]:
    """``default_site()`` served on 127.0.0.1 at a free port; stopped after the test."""
    with default_site() as site:
        yield site
