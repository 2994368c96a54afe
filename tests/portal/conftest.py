"""The people of the accounts tests (tests/accounts/conftest.py), for the portal's pages
that show them: alice, bob, carol (the verified author of ``paper``) and curator."""

from tests.accounts.conftest import alice, bob, carol, curator, paper  # noqa: F401
