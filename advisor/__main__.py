"""The `advisor` program: the CLI's commands and `advisor serve`, the web app.

advisor.cli and advisor.web sit side by side on the top layer and never import each other;
this module (outside the layers) puts their commands in one group. `serve` is registered like
the CLI's commands (advisor/cli/main.py): by name, imported only when it runs. `python -m
advisor` works too.
"""

import os

from advisor.cli.main import LazyCommand, cli, freeze_imports

cli.add_lazy_command("serve", LazyCommand(
    "advisor.web.command:serve_command",
    "Start the web app on this computer (http://127.0.0.1:8765): import, review, checklist, rules."))


def main() -> None:
    # advisor's numpy work is on small vectors (no BLAS-sized linear algebra), yet OpenBLAS starts
    # a thread per core when numpy is imported: ~0.05 s of a review's start, with those threads
    # spinning on the other cores meanwhile. One is plenty; a value the user set wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    freeze_imports()  # this process runs one command
    cli(prog_name="advisor")


if __name__ == "__main__":
    main()
