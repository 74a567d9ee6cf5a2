"""Subcommands of the ``cohort`` CLI: each defines ``add_parser`` and ``run``."""
