"""``python -m mock_server``: the same as the ``dayzero-mock`` command."""

from dayzero_twin.mock_server.cli import main

if __name__ == "__main__":
    main(prog_name="dayzero-mock")
