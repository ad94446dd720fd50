"""The web front end (``seedsearch serve``); imported only by that command."""
