from tests.site.fixtures import test_site  # noqa: F401  (the local Sputnik edition)
