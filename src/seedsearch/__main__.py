"""``python -m seedsearch``: the ``seedsearch`` command."""

from .cli_entry import run

run()
