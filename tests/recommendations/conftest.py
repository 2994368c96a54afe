"""The people of the recommendations tests: the accounts tests' alice, bob, carol (the
verified author of ``paper``) and curator, with the same fast password hashing and fresh
rate limits (tests/accounts/conftest.py)."""

from tests.accounts.conftest import (  # noqa: F401  (pytest finds fixtures by name)
    _fast_password_hashing,
    _fresh_rate_limits,
    alice,
    bob,
    carol,
    curator,
    paper,
)
