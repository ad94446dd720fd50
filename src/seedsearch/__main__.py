"""``python -m seedsearch``: the ``seedsearch`` command."""

from .cli_entry import run

if __name__ == "__main__":
    run()
