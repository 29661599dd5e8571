"""``python -m dayzero_twin.contract_tests``: the same as the ``dayzero-contract`` command."""

import sys

from dayzero_twin.contract_tests.cli import main

if __name__ == "__main__":
    sys.exit(main())
