"""Subcommands of the ``calcdetect`` CLI: each defines ``add_parser`` and ``run``."""
