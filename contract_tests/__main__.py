"""``python -m dayzero_twin.contract_tests``: the same as the ``dayzero-contract`` command,
and named so in its help and messages."""

from dayzero_twin.contract_tests.entry import main

if __name__ == "__main__":
    main()
