"""The `advisor` program: the CLI's commands and `advisor serve`, the web app.

advisor.cli and advisor.web sit side by side on the top layer and never import each other;
this module (outside the layers) puts their commands in one group. `python -m advisor` works too.
"""

from advisor.cli.main import cli
from advisor.web.command import serve_command

cli.add_command(serve_command)


def main() -> None:
    cli(prog_name="advisor")


if __name__ == "__main__":
    main()
