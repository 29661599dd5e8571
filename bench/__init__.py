"""Benchmarks of the offline mock against Stoplight Prism, run as ``python -m bench``.

Everything here measures from the outside: servers are separate processes on loopback,
load comes from wrk (or a bounded asyncio client when wrk is missing), and memory is
read from the process tree with psutil. Nothing imports ``mock_server`` or
``contract_tests``, so the figures describe what a user of the CLI would see.
"""
