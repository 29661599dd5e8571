"""Bounded stress scripts for the mock's robustness, security, load and crash behaviour.

Each script is the long version of a test under ``tests/``: the same checks, with
counts and time limits as command-line options. Run one as
``python -m bench.stress.<name> --help``, or all of them with default counts as
``python -m bench.stress``. Every script starts its own mock processes on free
loopback ports and kills them before it returns; nothing imports ``mock_server``,
so the figures describe what a user of the CLI would see.
"""
