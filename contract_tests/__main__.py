"""``python -m dayzero_twin.contract_tests``: the same as the ``dayzero-contract`` command,
and named so in its help and messages."""

import sys

from dayzero_twin.contract_tests.cli import main

if __name__ == "__main__":
    sys.exit(main())
