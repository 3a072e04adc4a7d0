"""The `advisor` command line: thin click shells over the library functions."""

from advisor.cli.main import main  # noqa: F401
