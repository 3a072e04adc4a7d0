"""The `advisor` command line: thin click shells over the library functions."""

from .main import main  # noqa: F401
