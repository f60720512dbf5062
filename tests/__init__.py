"""spinstream's test suite (a package, so that ``from tests.fakes import ...`` always works)."""
