"""The contract's prose as package data: ``CONTRACT.md`` and the reference pages.

The suite cites these sentences; ``importlib.resources`` reads them from an install.
"""
