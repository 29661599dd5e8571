"""Faithful variants: legal implementations the contract suite must pass (issue 11)."""
