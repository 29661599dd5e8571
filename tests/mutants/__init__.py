"""Broken implementations the contract suite must catch, one broken rule each.

``python -m tests.mutants NAME`` serves one of them (or ``faithful``, the unchanged
mock) on a free loopback port; ``tests/test_contract_suite.py`` points the suite at each.
"""
