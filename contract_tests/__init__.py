"""The contract suite: checks that an implementation keeps the bulk-import contract.

The contract is read from ``openapi/`` (through :mod:`openapi.bundle`) and from
``docs/CONTRACT.md``, never from the server under test, so the suite can judge DayZero's
real API in a sandbox business, a rewrite, or this project's mock alike. Run it with
``dayzero-contract --help`` (or ``python -m dayzero_twin.contract_tests --help``).
"""
