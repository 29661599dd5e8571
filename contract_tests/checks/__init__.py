"""The checks: pytest modules, one per area of the contract, run by ``dayzero-contract``."""
